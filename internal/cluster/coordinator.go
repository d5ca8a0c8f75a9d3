package cluster

import (
	"context"
	"fmt"
	"math"
	"unicode/utf16"
)

// OffsetsTopic is where Kafka keeps every group's committed offsets.
const OffsetsTopic = "__consumer_offsets"

// JavaStringHash is Java's String.hashCode: s[0]*31^(n-1) + … + s[n-1] over
// the string's UTF-16 code units, in 32-bit arithmetic that wraps.
func JavaStringHash(s string) int32 {
	var h int32
	for _, u := range utf16.Encode([]rune(s)) {
		h = 31*h + int32(u)
	}
	return h
}

// OffsetsPartition is the __consumer_offsets partition that holds a group's
// commits, as Kafka computes it: Utils.abs(groupId.hashCode()) % partitions,
// where Utils.abs takes the one int with no positive counterpart,
// math.MinInt32, to 0 (Java's Math.abs would leave it negative).
func OffsetsPartition(group string, partitions int) int32 {
	h := JavaStringHash(group)
	if h == math.MinInt32 {
		h = 0
	} else if h < 0 {
		h = -h
	}
	return h % int32(partitions)
}

// OffsetsLayout is __consumer_offsets as the cluster has it: its partition
// count and the leader of each partition. exists is false on a broker that
// keeps offsets without such a topic (the embedded one).
func (c *Client) OffsetsLayout(ctx context.Context) (partitions int, leaders map[int32]int32, exists bool, err error) {
	ctx, cancel := c.ctx(ctx)
	defer cancel()
	topics, err := c.ListTopicsWithInternal(ctx, OffsetsTopic)
	if err != nil {
		return 0, nil, false, fmt.Errorf("list topic %s: %w", OffsetsTopic, err)
	}
	t, ok := topics[OffsetsTopic]
	if !ok || t.Err != nil {
		return 0, nil, false, nil
	}
	leaders = map[int32]int32{}
	for p, d := range t.Partitions {
		leaders[p] = d.Leader
	}
	return len(t.Partitions), leaders, true, nil
}

// Coordinator is the broker (node id) that coordinates group, as the cluster
// answers FindCoordinator.
func (c *Client) Coordinator(ctx context.Context, group string) (int32, error) {
	ctx, cancel := c.ctx(ctx)
	defer cancel()
	resp := c.FindGroupCoordinators(ctx, group)
	r, ok := resp[group]
	if !ok {
		return -1, fmt.Errorf("find the coordinator of group %s: no answer", group)
	}
	if r.Err != nil {
		return -1, fmt.Errorf("find the coordinator of group %s: %w", group, r.Err)
	}
	return r.NodeID, nil
}
