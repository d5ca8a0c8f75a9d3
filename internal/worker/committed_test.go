package worker

import (
	"bytes"
	"fmt"
	"strings"
	"testing"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"

	"offsetlab/internal/events"
	"offsetlab/internal/lines"
)

func commitReq(topic string, offsets map[int32]int64) (*kmsg.OffsetCommitRequest, *kmsg.OffsetCommitResponse) {
	req := kmsg.NewPtrOffsetCommitRequest()
	resp := kmsg.NewPtrOffsetCommitResponse()
	rt := kmsg.NewOffsetCommitRequestTopic()
	rt.Topic = topic
	st := kmsg.NewOffsetCommitResponseTopic()
	st.Topic = topic
	for p, o := range offsets {
		rp := kmsg.NewOffsetCommitRequestTopicPartition()
		rp.Partition, rp.Offset = p, o
		rt.Partitions = append(rt.Partitions, rp)
		sp := kmsg.NewOffsetCommitResponseTopicPartition()
		sp.Partition = p
		st.Partitions = append(st.Partitions, sp)
	}
	req.Topics = append(req.Topics, rt)
	resp.Topics = append(resp.Topics, st)
	return req, resp
}

func TestCommitLines(t *testing.T) {
	var out bytes.Buffer
	var evs []events.Event
	c := newCommits(&lines.Printer{W: &out, Prefix: "x"}, func(e events.Event) { evs = append(evs, e) }, "orders", map[int32]int64{0: 5})

	// kgo's timer re-sending an offset the group already had moves nothing.
	req, resp := commitReq("orders", map[int32]int64{0: 5})
	c.autoCommitted(nil, req, resp, nil)
	if out.Len() != 0 || c.count() != 0 {
		t.Fatalf("unchanged commit printed %q", out.String())
	}

	req, resp = commitReq("orders", map[int32]int64{0: 10, 1: 3})
	c.autoCommitted(nil, req, resp, nil)
	if !strings.Contains(out.String(), "committed p0→10 p1→3  (timer: kgo's background auto-commit)") {
		t.Fatalf("got %q", out.String())
	}

	// A partition the broker refused is reported as failed, not as committed.
	out.Reset()
	req, resp = commitReq("orders", map[int32]int64{2: 7})
	resp.Topics[0].Partitions[0].ErrorCode = kerr.UnknownMemberID.Code
	c.autoCommitted(nil, req, resp, nil)
	if !strings.Contains(out.String(), "commit FAILED (timer) for p2: UNKNOWN_MEMBER_ID") || strings.Contains(out.String(), "p2→7") {
		t.Fatalf("got %q", out.String())
	}

	// Once Close began, kgo's own commit is the shutdown commit.
	out.Reset()
	c.closing.Store(true)
	req, resp = commitReq("orders", map[int32]int64{1: 9})
	c.autoCommitted(nil, req, resp, nil)
	if !strings.Contains(out.String(), "committed p1→9  (shutdown:") {
		t.Fatalf("got %q", out.String())
	}
	if c.count() != 2 {
		t.Fatalf("count %d, want 2 commits that moved an offset", c.count())
	}
	// The events log gets each commit that moved an offset, with only the
	// offsets that moved, and each refused partition.
	var got []string
	for _, e := range evs {
		p := ""
		if e.Partition != nil {
			p = fmt.Sprintf(" p%d", *e.Partition)
		}
		got = append(got, fmt.Sprintf("%s %s%s %v", e.Kind, e.Cause, p, e.Committed()))
	}
	want := []string{"commit timer map[0:10 1:3]", "commit-failed timer p2 map[]", "commit shutdown map[1:9]"}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("events %q, want %q", got, want)
	}
	if got := c.summary([]int32{0, 1, 2}); got != "p0→10 p1→9 p2→-" {
		t.Fatalf("summary %q", got)
	}
}

// OffsetCommit v10+ answers name a topic by id only: the commit is still
// reported, and a commit to a lower offset is flagged.
func TestCommitAnsweredByTopicID(t *testing.T) {
	var out bytes.Buffer
	c := newCommits(&lines.Printer{W: &out, Prefix: "x"}, func(events.Event) {}, "orders", map[int32]int64{0: 8})
	req, resp := commitReq("orders", map[int32]int64{0: 5})
	id := [16]byte{1, 2, 3}
	req.Topics[0].TopicID = id
	resp.Topics[0].Topic, resp.Topics[0].TopicID = "", id
	c.answered("rejoin", req, resp, nil)
	if !strings.Contains(out.String(), "committed p0→5 (BACKWARDS from 8)  (rejoin:") {
		t.Fatalf("got %q", out.String())
	}

	// Another topic's id is not ours.
	out.Reset()
	req, resp = commitReq("orders", map[int32]int64{1: 3})
	req.Topics[0].TopicID = id
	resp.Topics[0].Topic, resp.Topics[0].TopicID = "", [16]byte{9}
	c.answered("timer", req, resp, nil)
	if out.Len() != 0 {
		t.Fatalf("a foreign topic's answer was reported: %q", out.String())
	}
}

// After the member was dropped, the broker's offsets win: a retried commit of
// a record another member already committed past is no longer this run's to
// commit, and learning them prints no commit line.
func TestLearnTakesTheBrokersOffsets(t *testing.T) {
	var out bytes.Buffer
	c := newCommits(&lines.Printer{W: &out, Prefix: "x"}, func(events.Event) {}, "orders", map[int32]int64{0: 5})
	if ahead := c.learn(map[int32]int64{0: 10, 1: 3, 2: 0}); ahead != "p0→10 p1→3 p2→0" {
		t.Fatalf("ahead %q", ahead)
	}
	if ahead := c.learn(map[int32]int64{0: 10}); ahead != "" {
		t.Fatalf("nothing new, yet ahead %q", ahead)
	}
	if out.Len() != 0 || c.count() != 0 {
		t.Fatalf("learning printed %q / counted %d commits", out.String(), c.count())
	}
	if got := c.known(); got[0] != 10 || got[1] != 3 {
		t.Fatalf("known %v", got)
	}
}
