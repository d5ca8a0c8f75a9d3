package main

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"

	"offsetlab/internal/cluster"
)

// topicCreate creates TOPIC and OUTPUT_TOPIC (where the transactional
// consumer writes its tickets), with the same partitions.
func topicCreate(ctx context.Context, s settings, adm *cluster.Client) error {
	for _, topic := range []string{s.topic, s.output} {
		if err := createTopic(ctx, topic, s.partitions, s.replication, adm); err != nil {
			return err
		}
	}
	return nil
}

func createTopic(ctx context.Context, topic string, partitions, replication int, adm *cluster.Client) error {
	if ps, err := adm.Partitions(ctx, topic); err == nil {
		fmt.Printf("topic %s already exists with %d partitions\n", topic, len(ps))
		return nil
	} else if !errors.Is(err, cluster.ErrTopicMissing) {
		return err
	}
	cctx, cancel := context.WithTimeout(ctx, cluster.ReachTimeout)
	defer cancel()
	// Each partition on REPLICATION brokers: 1 on one broker; 3 on a
	// three-node cluster, where its min.insync.replicas=2 lets a write
	// with acks=all through while one of the three is down.
	resp, err := adm.CreateTopic(cctx, int32(partitions), int16(replication), nil, topic)
	if err == nil {
		err = resp.Err
	}
	if errors.Is(err, kerr.TopicAlreadyExists) {
		// Created by someone else since the look above.
		fmt.Printf("topic %s already exists\n", topic)
		return nil
	}
	if err != nil {
		return fmt.Errorf("create topic %s: %w", topic, err)
	}
	// Kafka answers CreateTopics once its controller has the topic; the
	// brokers learn of it a moment later (seconds, on a busy machine). Wait
	// until the broker lists it, so that a seed right after (make
	// topic-create topic-load) finds it.
	deadline := time.Now().Add(30 * time.Second)
	for {
		ps, err := adm.Partitions(ctx, topic)
		if err == nil && len(ps) == partitions {
			break
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("created topic %s, but the broker does not list it 30s later", topic)
		}
		time.Sleep(50 * time.Millisecond)
	}
	fmt.Printf("created topic %s with %d partitions\n", topic, partitions)
	if replication > 1 {
		fmt.Printf("  each on %d brokers (REPLICATION=%d)\n", replication, replication)
	}
	return nil
}

// topicDelete deletes TOPIC and OUTPUT_TOPIC.
func topicDelete(ctx context.Context, s settings, adm *cluster.Client) error {
	for _, topic := range []string{s.topic, s.output} {
		if err := deleteTopic(ctx, topic, adm); err != nil {
			return err
		}
	}
	return nil
}

func deleteTopic(ctx context.Context, topic string, adm *cluster.Client) error {
	if _, err := adm.Partitions(ctx, topic); errors.Is(err, cluster.ErrTopicMissing) {
		fmt.Printf("topic %s does not exist: nothing to delete\n", topic)
		return nil
	} else if err != nil {
		return err
	}
	dctx, cancel := context.WithTimeout(ctx, cluster.ReachTimeout)
	defer cancel()
	resp, err := adm.DeleteTopic(dctx, topic)
	if err == nil {
		err = resp.Err
	}
	if err != nil && !errors.Is(err, kerr.UnknownTopicOrPartition) {
		return fmt.Errorf("delete topic %s: %w", topic, err)
	}
	// A broker may delete a topic in the background (real Kafka does): wait
	// until it is really gone, so that a topic-create right after works.
	deadline := time.Now().Add(30 * time.Second)
	for {
		if _, err := adm.Partitions(ctx, topic); errors.Is(err, cluster.ErrTopicMissing) {
			break
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("topic %s still listed 30s after its deletion", topic)
		}
		time.Sleep(200 * time.Millisecond)
	}
	fmt.Printf("deleted topic %s\n", topic)
	return nil
}

// topicDescribe shows each partition's leader and its log start and end.
func topicDescribe(ctx context.Context, s settings, adm *cluster.Client) error {
	lctx, cancel := context.WithTimeout(ctx, cluster.ReachTimeout)
	defer cancel()
	td, err := adm.ListTopics(lctx, s.topic)
	if err != nil {
		return fmt.Errorf("describe topic %s: %w", s.topic, err)
	}
	ranges, err := adm.Ranges(ctx, s.topic)
	if err != nil {
		return err
	}
	d := td[s.topic]
	fmt.Printf("topic %s: %d partitions\n", s.topic, len(d.Partitions))
	// Replicas are the brokers holding a copy (REPLICATION of them); in-sync
	// those caught up with the leader, which acks=all waits for.
	fmt.Printf("  %-9s %6s %-9s %-9s %9s %9s %8s\n", "partition", "leader", "replicas", "in-sync", "log-start", "log-end", "records")
	for _, p := range d.Partitions.Sorted() {
		r := ranges[p.Partition]
		fmt.Printf("  %-9s %6d %-9s %-9s %9d %9d %8d\n", fmt.Sprintf("p%d", p.Partition), p.Leader, nodeList(p.Replicas), nodeList(p.ISR), r.Start, r.End, r.End-r.Start)
	}
	return nil
}

func nodeList(ids []int32) string {
	s := make([]string, len(ids))
	for i, id := range ids {
		s[i] = strconv.Itoa(int(id))
	}
	return strings.Join(s, ",")
}
