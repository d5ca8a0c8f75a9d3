package cluster

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"time"
	"unicode/utf16"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"

	"offsetlab/internal/config"
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
// A fresh cluster answers COORDINATOR_NOT_AVAILABLE while it creates
// __consumer_offsets (the first group to ask makes it), and
// COORDINATOR_LOAD_IN_PROGRESS while a new coordinator loads a partition:
// both are waited out, within ReachTimeout.
func (c *Client) Coordinator(ctx context.Context, group string) (int32, error) {
	ctx, cancel := c.ctx(ctx)
	defer cancel()
	for {
		r, ok := c.FindGroupCoordinators(ctx, group)[group]
		switch {
		case !ok:
			return -1, fmt.Errorf("find the coordinator of group %s: no answer", group)
		case r.Err == nil:
			return r.NodeID, nil
		case errors.Is(r.Err, kerr.CoordinatorNotAvailable) || errors.Is(r.Err, kerr.CoordinatorLoadInProgress):
			select {
			case <-ctx.Done():
				return -1, fmt.Errorf("find the coordinator of group %s: %w (still, after %s)", group, r.Err, ReachTimeout)
			case <-time.After(200 * time.Millisecond):
			}
		default:
			return -1, fmt.Errorf("find the coordinator of group %s: %w", group, r.Err)
		}
	}
}

// OffsetCommitRecord is one record Kafka wrote to __consumer_offsets for a
// commit: the group, topic and partition of its key, the committed offset and
// commit time of its value, or a tombstone (no value: the offset was deleted,
// and compaction will drop everything before it).
type OffsetCommitRecord struct {
	At        int32 // the __consumer_offsets partition
	Offset    int64 // of this record in it
	Group     string
	Topic     string
	Partition int32
	Committed int64
	Time      time.Time
	Tombstone bool
}

// OffsetCommits reads __consumer_offsets from its start (a plain read, no
// group) and decodes its offset-commit records with franz-go's kmsg types;
// group metadata records are left out.
func OffsetCommits(ctx context.Context, conn config.Connection) ([]OffsetCommitRecord, error) {
	rs, err := ReadRecords(ctx, conn, OffsetsTopic, false)
	if err != nil {
		return nil, err
	}
	var out []OffsetCommitRecord
	for _, r := range rs {
		// Key versions 0 and 1 are offset commits, 2 group metadata.
		var key kmsg.OffsetCommitKey
		if len(r.Key) < 2 || binary.BigEndian.Uint16(r.Key) > 1 || key.ReadFrom(r.Key) != nil {
			continue
		}
		c := OffsetCommitRecord{At: r.Partition, Offset: r.Offset, Group: key.Group, Topic: key.Topic, Partition: key.Partition}
		if r.Value == nil {
			c.Tombstone = true
		} else {
			var v kmsg.OffsetCommitValue
			if err := v.ReadFrom(r.Value); err != nil {
				return nil, fmt.Errorf("decode the commit of %s %s p%d at %s p%d@%d: %w", key.Group, key.Topic, key.Partition, OffsetsTopic, r.Partition, r.Offset, err)
			}
			c.Committed, c.Time = v.Offset, time.UnixMilli(v.CommitTimestamp)
		}
		out = append(out, c)
	}
	return out, nil
}
