package main

import (
	"context"
	"fmt"

	"offsetlab/internal/cluster"
)

// kafkaOffsetsPartitions is offsets.topic.num.partitions' default: what a
// real cluster's __consumer_offsets has unless its operator chose otherwise.
const kafkaOffsetsPartitions = 50

// groupCoordinator shows where GROUP's commits go: the __consumer_offsets
// partition the lesson's formula gives, the broker the cluster names as the
// group's coordinator, and whether that broker leads the partition.
func groupCoordinator(ctx context.Context, s settings, adm *cluster.Client) error {
	count, leaders, exists, err := adm.OffsetsLayout(ctx)
	if err != nil {
		return err
	}
	for _, group := range splitGroups(s.group) {
		hash := cluster.JavaStringHash(group)
		node, err := adm.Coordinator(ctx, group)
		if err != nil {
			return err
		}
		fmt.Printf("group %s: %q.hashCode() = %d\n", group, group, hash)
		if !exists {
			fmt.Printf("  this broker keeps offsets without a %s topic (the embedded broker does); on a cluster with Kafka's default %d partitions: abs(%d) %% %d = partition %d\n",
				cluster.OffsetsTopic, kafkaOffsetsPartitions, hash, kafkaOffsetsPartitions, cluster.OffsetsPartition(group, kafkaOffsetsPartitions))
			fmt.Printf("  coordinator: broker %d, as the broker answers FindCoordinator\n", node)
			continue
		}
		p := cluster.OffsetsPartition(group, count)
		note := ""
		if count != kafkaOffsetsPartitions {
			note = fmt.Sprintf(" (the lab's single node makes %d; Kafka's default is %d, which would give partition %d)",
				count, kafkaOffsetsPartitions, cluster.OffsetsPartition(group, kafkaOffsetsPartitions))
		}
		fmt.Printf("  %s has %d partitions%s: abs(%d) %% %d = partition %d, led by broker %d\n", cluster.OffsetsTopic, count, note, hash, count, p, leaders[p])
		agree := "agree"
		if leaders[p] != node {
			agree = "DISAGREE"
		}
		fmt.Printf("  coordinator: broker %d, as the cluster answers FindCoordinator: formula and cluster %s\n", node, agree)
	}
	return nil
}
