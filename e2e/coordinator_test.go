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
	"offsetlab/internal/config"
)

// The lesson's formula, abs(groupId.hashCode()) % partitions, against where
// Apache Kafka really writes each group's commits: every group here commits
// once, then __consumer_offsets is read back and each commit record's key
// (decoded with franz-go's kmsg.OffsetCommitKey) says its group; the
// partition it sits in must be the formula's. "polygenelubricants" is the
// name whose hashCode is Integer.MIN_VALUE.
func TestOffsetsPartitionFormulaOnKafka(t *testing.T) {
	t.Parallel()
	if onEmbedded() {
		t.Skip("the embedded broker keeps offsets without a __consumer_offsets topic; `make test-kafka` runs this")
	}
	l := newLab(t)
	l.seed(3)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	adm, err := cluster.Dial(ctx, config.Plaintext(strings.Split(l.brokers, ",")))
	if err != nil {
		t.Fatal(err)
	}
	defer adm.Close()
	// Test groups only: the test deletes them after (a learner's kitchen-*
	// groups on a shared broker are not the test's to touch).
	groups := []string{"polygenelubricants"}
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

// make offsets-log shows each commit of a run as the record Kafka wrote to
// __consumer_offsets, and a deleted group's tombstones.
func TestOffsetsLogShowsEveryCommit(t *testing.T) {
	t.Parallel()
	if onEmbedded() {
		t.Skip("the embedded broker keeps offsets without a __consumer_offsets topic; `make test-kafka` runs this")
	}
	l := newLab(t)
	l.seed(30)
	run := l.run(0, "manual-sync", "LOG="+l.path("p.log"), "WORK_DELAY=10ms", "IDLE_EXIT=1s")
	var commits []string // "p0 → 5", in the order the run printed them
	for _, line := range strings.Split(run.output(), "\n") {
		if _, after, ok := strings.Cut(line, "| committed "); ok {
			offsets, _, _ := strings.Cut(after, "  (")
			for _, po := range strings.Fields(offsets) {
				p, o, _ := strings.Cut(po, "→")
				commits = append(commits, p+" → "+o)
			}
		}
	}
	if len(commits) < 6 {
		t.Fatalf("want the run's commits:\n%s", run.output())
	}
	out := l.admin("offsets-log").output()
	at := 0
	for _, line := range strings.Split(out, "\n") {
		if at < len(commits) && strings.Contains(line, " "+l.group+" ") && strings.Contains(line, l.topic+" "+commits[at]+" ") {
			at++
		}
	}
	if at != len(commits) {
		t.Errorf("offsets-log shows %d of the run's %d commits in order (next: %s):\n%s", at, len(commits), commits[min(at, len(commits)-1)], out)
	}
	if !strings.Contains(out, "Compaction keeps only each key's last record") || !strings.Contains(out, l.group+" "+l.topic+" p0 → 10") {
		t.Errorf("offsets-log does not end with what compaction keeps:\n%s", out)
	}
	l.admin("group-delete")
	if out := l.admin("offsets-log").output(); strings.Count(out, "tombstone: the group's offset was deleted") != 3 {
		t.Errorf("after group-delete, want a tombstone per partition:\n%s", out)
	}
}
