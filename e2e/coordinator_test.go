package e2e

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"

	"offsetlab/internal/cluster"
)

// The lesson's formula, abs(groupId.hashCode()) % partitions, against where
// Apache Kafka really writes each group's commits: every group here commits
// once, then __consumer_offsets is read back and each commit record's key
// (decoded with franz-go's kmsg.OffsetCommitKey) says its group; the
// partition it sits in must be the formula's. "polygenelubricants" is the
// name whose hashCode is Integer.MIN_VALUE.
func TestOffsetsPartitionFormulaOnKafka(t *testing.T) {
	if onEmbedded() {
		t.Skip("the embedded broker keeps offsets without a __consumer_offsets topic; `make test-kafka` runs this")
	}
	l := newLab(t)
	l.seed(3)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	adm, err := cluster.Dial(ctx, strings.Split(l.brokers, ","))
	if err != nil {
		t.Fatal(err)
	}
	defer adm.Close()
	groups := []string{"polygenelubricants", "kitchen-auto", "kitchen-sync", "kitchen-async", "kitchen-transactional"}
	for i := range 25 {
		groups = append(groups, fmt.Sprintf("%s-%d", l.group, i))
	}
	for _, g := range groups {
		offsets := kadm.Offsets{}
		offsets.Add(kadm.Offset{Topic: l.topic, Partition: 0, At: 1, LeaderEpoch: -1})
		if err := adm.CommitAllOffsets(ctx, g, offsets); err != nil {
			t.Fatalf("commit for %s: %v", g, err)
		}
		t.Cleanup(func() { _ = adm.ForgetGroup(context.Background(), g) })
	}
	count, leaders, exists, err := adm.OffsetsLayout(ctx)
	if err != nil || !exists {
		t.Fatalf("__consumer_offsets: exists=%v err=%v", exists, err)
	}

	cl, err := kgo.NewClient(kgo.SeedBrokers(strings.Split(l.brokers, ",")...), kgo.ConsumeTopics(cluster.OffsetsTopic),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	found := map[string]int32{}
	for len(found) < len(groups) && ctx.Err() == nil {
		fs := cl.PollFetches(ctx)
		fs.EachRecord(func(r *kgo.Record) {
			var key kmsg.OffsetCommitKey
			if len(r.Key) < 2 || r.Key[1] > 1 || key.ReadFrom(r.Key) != nil || key.Topic != l.topic {
				return // group metadata, or another topic's commits
			}
			if p, seen := found[key.Group]; seen && p != r.Partition {
				t.Errorf("group %s's commits in partitions %d and %d", key.Group, p, r.Partition)
			}
			found[key.Group] = r.Partition
		})
	}
	for _, g := range groups {
		p, ok := found[g]
		if !ok {
			t.Errorf("no commit record of group %s in %s", g, cluster.OffsetsTopic)
			continue
		}
		if want := cluster.OffsetsPartition(g, count); p != want {
			t.Errorf("group %s: Kafka wrote its commit to partition %d, the formula says %d of %d", g, p, want, count)
		}
		node, err := adm.Coordinator(ctx, g)
		if err != nil || node != leaders[p] {
			t.Errorf("group %s: coordinator %d (%v), leader of partition %d is %d", g, node, err, p, leaders[p])
		}
	}
}
