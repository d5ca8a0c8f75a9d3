package worker

import (
	"fmt"
	"maps"
	"slices"
	"sort"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"

	"offsetlab/internal/cluster"
	"offsetlab/internal/events"
	"offsetlab/internal/lines"
)

// commits prints one line per offset commit that moved a committed offset,
// with the partition→offset pairs the broker accepted and why the commit
// happened. Nothing here is guessed from timing: kgo's own commits come from
// its AutoCommitCallback (the request it sent and the broker's answer), and
// the code's explicit commits from the request kgo sent (PreCommitFnContext)
// once the call returned without error.
type commits struct {
	out     *lines.Printer
	event   func(events.Event) // the events log: every commit and failed commit
	topic   string
	closing atomic.Bool // set before Close: kgo's commits from then on are its shutdown commit
	quiet   bool        // PRINT other than records: count commits, print no line for each

	mu    sync.Mutex
	last  map[int32]int64 // committed offsets as last printed
	moved int             // commits that moved at least one offset
}

func newCommits(out *lines.Printer, event func(events.Event), topic string, start map[int32]int64) *commits {
	return &commits{out: out, event: event, topic: topic, last: maps.Clone(start)}
}

// why names a commit's reason for the learner.
var whyText = map[string]string{
	"timer":       "kgo's background auto-commit",
	"shutdown":    "final commit on a clean stop",
	"batch":       "CommitRecords after the batch, blocking",
	"record":      "a blocking commit after every record (COMMIT_PER=record)",
	"count":       "a blocking commit every COMMIT_PER=count:N records",
	"time":        "a blocking commit once COMMIT_PER=time:T has passed since the last",
	"flush":       "CommitMarkedOffsets after the batch, blocking",
	"transaction": "the batch's tickets and its offsets, committed in one Kafka transaction",
	"copy":        "a copy of the database's offsets, for lag tools: runs resume from the database",
	"resume":      "the copy brought up to the database's offsets as the partition was assigned",
	"rejoin":      "what this run processed, committed when the partition came back after the group was lost",
	"revoke":      "what this run processed, committed as the partition is taken away",
	"timed-out":   "answered REQUEST_TIMED_OUT, yet the broker has it: a commit that timed out may still have been written",
}

// autoCommitted is kgo's AutoCommitCallback: it runs after every commit kgo
// makes on its own, i.e. the AutoCommitInterval timer and the commit kgo's
// default OnPartitionsRevoked makes when partitions are given up (a rebalance,
// or Close). kgo does not say which of those it was; the lab only ever gives
// partitions up on Close when it runs alone, so: "timer" until Close began,
// then "shutdown".
func (c *commits) autoCommitted(_ *kgo.Client, req *kmsg.OffsetCommitRequest, resp *kmsg.OffsetCommitResponse, err error) {
	why := "timer"
	if c.closing.Load() {
		why = "shutdown"
	}
	c.answered(why, req, resp, err)
}

// answered reports a commit from the request sent and the broker's answer.
func (c *commits) answered(why string, req *kmsg.OffsetCommitRequest, resp *kmsg.OffsetCommitResponse, err error) {
	if err != nil {
		c.out.Printf("commit FAILED (%s): %v", why, err)
		c.event(events.Event{Kind: events.CommitFailed, Cause: why, Detail: err.Error()})
		return
	}
	sent, id := c.sent(req)
	ok := map[int32]int64{}
	for _, t := range resp.Topics {
		if t.Topic != c.topic && (t.Topic != "" || t.TopicID != id || id == [16]byte{}) {
			continue
		}
		for _, p := range t.Partitions {
			if e := kerr.ErrorForCode(p.ErrorCode); e != nil {
				c.out.Printf("commit FAILED (%s) for p%d: %v", why, p.Partition, e)
				c.event(events.Event{Kind: events.CommitFailed, Cause: why, Partition: events.P(p.Partition), Detail: e.Error()})
				continue
			}
			if o, found := sent[p.Partition]; found {
				ok[p.Partition] = o
			}
		}
	}
	c.report(why, ok)
}

// sent is what a commit request asks the broker to store for the topic, and
// the topic's id (OffsetCommit v10+ answers name topics by id only).
func (c *commits) sent(req *kmsg.OffsetCommitRequest) (map[int32]int64, [16]byte) {
	sent := map[int32]int64{}
	var id [16]byte
	for _, t := range req.Topics {
		if t.Topic == c.topic {
			id = t.TopicID
			for _, p := range t.Partitions {
				sent[p.Partition] = p.Offset
			}
		}
	}
	return sent, id
}

// report prints one line for a commit if it moved a committed offset, and
// says whether it did.
func (c *commits) report(why string, offsets map[int32]int64) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	ps := make([]int32, 0, len(offsets))
	for p, o := range offsets {
		if last, ok := c.last[p]; !ok || last != o {
			ps = append(ps, p)
		}
	}
	if len(ps) == 0 {
		return false
	}
	sort.Slice(ps, func(i, j int) bool { return ps[i] < ps[j] })
	parts := make([]string, len(ps))
	moved := make(map[int32]int64, len(ps))
	for i, p := range ps {
		moved[p] = offsets[p]
		parts[i] = fmt.Sprintf("p%d→%d", p, offsets[p])
		if last, ok := c.last[p]; ok && offsets[p] < last {
			// kgo never reorders its own commits, so only a commit of a
			// lower offset on purpose can do this: say so loudly.
			parts[i] += fmt.Sprintf(" (BACKWARDS from %d)", last)
		}
		c.last[p] = offsets[p]
	}
	c.moved++
	if !c.quiet {
		c.out.Printf("committed %s  (%s: %s)", strings.Join(parts, " "), why, whyText[why])
	}
	c.event(events.Event{Kind: events.Commit, Cause: why, Offsets: events.OffsetsOf(moved)})
	return true
}

// learn takes offsets (the broker's) as the committed ones, without a commit
// line: another member committed them. It returns the partitions where the
// group is ahead of what this run knew, as "p0→10 p2→7".
func (c *commits) learn(offsets map[int32]int64) string {
	c.mu.Lock()
	defer c.mu.Unlock()
	var ahead []string
	ps := slices.Sorted(maps.Keys(offsets))
	for _, p := range ps {
		if last, ok := c.last[p]; !ok || offsets[p] > last {
			ahead = append(ahead, fmt.Sprintf("p%d→%d", p, offsets[p]))
		}
		c.last[p] = offsets[p]
	}
	return strings.Join(ahead, " ")
}

// known is the committed offset per partition as last reported.
func (c *commits) known() map[int32]int64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return maps.Clone(c.last)
}

func (c *commits) count() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.moved
}

// summary is "p0→10 p1→5 p2→-" for every partition the commits know of.
func (c *commits) summary(partitions []int32) string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return cluster.OffsetsLine(c.last, partitions)
}
