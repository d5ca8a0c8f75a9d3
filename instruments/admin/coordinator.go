package main

import (
	"context"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

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
		if hash == math.MinInt32 {
			// The one int with no positive counterpart: Java's Math.abs (the
			// lesson's formula) leaves it negative, Kafka's Utils.abs makes it 0.
			fmt.Printf("  Integer.MIN_VALUE: Math.abs, as the lesson writes it, leaves it negative (a partition of %d); Kafka uses Utils.abs, which makes it 0\n", int32(hash)%kafkaOffsetsPartitions)
		}
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

// offsetsLog prints the records Kafka wrote to __consumer_offsets for GROUP's
// commits, in the order of each partition: the bookmark itself, one record
// per commit, and a tombstone where a group's offset was deleted. Compaction
// keeps only each key's last record, which is what a restart reads.
func offsetsLog(ctx context.Context, s settings, adm *cluster.Client) error {
	count, _, exists, err := adm.OffsetsLayout(ctx)
	if err != nil {
		return err
	}
	if !exists {
		return fmt.Errorf("the broker at %s has no %s topic (the embedded broker keeps offsets in memory and its state file); run this against Apache Kafka", strings.Join(adm.Conn.Brokers, ","), cluster.OffsetsTopic)
	}
	rctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	all, err := cluster.OffsetCommits(rctx, adm.Conn)
	if err != nil {
		return err
	}
	groups := splitGroups(s.group)
	type key struct {
		group, topic string
		partition    int32
	}
	last := map[key]cluster.OffsetCommitRecord{}
	var keys []key
	shown := 0
	fmt.Printf("%s (%d partitions): the offset-commit records of %s\n", cluster.OffsetsTopic, count, strings.Join(groups, ", "))
	for _, c := range all {
		if !slices.Contains(groups, c.Group) {
			continue
		}
		shown++
		k := key{c.Group, c.Topic, c.Partition}
		if _, ok := last[k]; !ok {
			keys = append(keys, k)
		}
		last[k] = c
		what := fmt.Sprintf("→ %d  committed %s", c.Committed, c.Time.Format("15:04:05.000"))
		if c.Tombstone {
			what = "tombstone: the group's offset was deleted"
		}
		fmt.Printf("  p%d@%-6d %-22s %s p%d %s\n", c.At, c.Offset, c.Group, c.Topic, c.Partition, what)
	}
	if shown == 0 {
		fmt.Println("  none (no commit of these groups is in the log, or compaction and retention removed them)")
		return nil
	}
	fmt.Printf("%d records for %d keys (group, topic, partition). Compaction keeps only each key's last record:\n", shown, len(keys))
	for _, k := range keys {
		c := last[k]
		if c.Tombstone {
			fmt.Printf("  %s %s p%d: nothing (a tombstone; compaction drops it too, later)\n", k.group, k.topic, k.partition)
		} else {
			fmt.Printf("  %s %s p%d → %d\n", k.group, k.topic, k.partition, c.Committed)
		}
	}
	return nil
}
