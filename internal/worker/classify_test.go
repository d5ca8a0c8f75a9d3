package worker

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"syscall"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"

	"offsetlab/internal/config"
)

// What the worker makes of each error decides whether a run waits, stops or
// keeps a partition from a commit: one row per kind of error it meets.
func TestClassify(t *testing.T) {
	refused := &net.OpError{Op: "dial", Net: "tcp", Err: os.NewSyscallError("connect", syscall.ECONNREFUSED)}
	tests := []struct {
		name                                 string
		err                                  error
		unreachable, curable, dropped, moved bool
	}{
		{"a refused dial", refused, true, true, false, false},
		{"a reset connection", fmt.Errorf("read: %w", syscall.ECONNRESET), true, true, false, false},
		{"kgo's retryable broker error", kgo.ErrClientClosed, false, true, false, false},
		// kgo counts a request that timed out as a broker not answering.
		{"a deadline", context.DeadlineExceeded, true, true, false, false},
		{"an EOF from a broker going away", io.EOF, true, true, false, false},
		{"COORDINATOR_NOT_AVAILABLE", kerr.CoordinatorNotAvailable, false, true, false, false},
		{"NOT_COORDINATOR", kerr.NotCoordinator, false, true, false, false},
		{"REQUEST_TIMED_OUT", kerr.RequestTimedOut, false, true, false, false},
		{"REBALANCE_IN_PROGRESS", kerr.RebalanceInProgress, false, true, false, true},
		{"ILLEGAL_GENERATION", kerr.IllegalGeneration, false, true, true, true},
		{"UNKNOWN_MEMBER_ID", kerr.UnknownMemberID, false, true, true, true},
		{"STALE_MEMBER_EPOCH", kerr.StaleMemberEpoch, false, true, true, true},
		{"FENCED_MEMBER_EPOCH", kerr.FencedMemberEpoch, false, false, true, false},
		{"FENCED_INSTANCE_ID", kerr.FencedInstanceID, false, false, false, false},
		{"GROUP_AUTHORIZATION_FAILED", kerr.GroupAuthorizationFailed, false, false, false, false},
		{"wrapped UNKNOWN_MEMBER_ID", fmt.Errorf("commit: %w", kerr.UnknownMemberID), false, true, true, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := [4]bool{unreachable(tt.err), curable(tt.err), droppedMember(tt.err), groupMoved(tt.err)}
			want := [4]bool{tt.unreachable, tt.curable, tt.dropped, tt.moved}
			if got != want {
				t.Errorf("unreachable, curable, dropped, moved = %v, want %v", got, want)
			}
		})
	}
}

// A commit response's first per-partition error, or nil.
func TestKgoCommitErr(t *testing.T) {
	resp := func(codes ...int16) *kmsg.OffsetCommitResponse {
		r := kmsg.NewPtrOffsetCommitResponse()
		topic := kmsg.NewOffsetCommitResponseTopic()
		for i, c := range codes {
			p := kmsg.NewOffsetCommitResponseTopicPartition()
			p.Partition, p.ErrorCode = int32(i), c
			topic.Partitions = append(topic.Partitions, p)
		}
		r.Topics = append(r.Topics, topic)
		return r
	}
	tests := []struct {
		name  string
		codes []int16
		want  error
	}{
		{"all accepted", []int16{0, 0, 0}, nil},
		{"one refused", []int16{0, kerr.UnknownMemberID.Code, 0}, kerr.UnknownMemberID},
		{"the first refusal", []int16{kerr.RebalanceInProgress.Code, kerr.IllegalGeneration.Code}, kerr.RebalanceInProgress},
		{"no partitions", nil, nil},
	}
	for _, tt := range tests {
		if got := kgoCommitErr(resp(tt.codes...)); !errors.Is(got, tt.want) || (got == nil) != (tt.want == nil) {
			t.Errorf("%s: %v, want %v", tt.name, got, tt.want)
		}
	}
}

// When COMMIT_PER asks for a commit after a record.
func TestCommitDue(t *testing.T) {
	commit := func(context.Context, *kgo.Client, []*kgo.Record) error { return nil }
	tests := []struct {
		name   string
		per    string
		commit bool
		since  int           // records since the last commit
		ago    time.Duration // since the last commit
		want   string
	}{
		{"batch: after the batch, never after a record", "batch", true, 1000, time.Hour, ""},
		{"record: after each", "record", true, 1, 0, "record"},
		{"count: not before N", "count:3", true, 2, time.Hour, ""},
		{"count: at N", "count:3", true, 3, 0, "count"},
		{"time: not before T", "time:1s", true, 1000, 500 * time.Millisecond, ""},
		{"time: after T", "time:1s", true, 1, 1100 * time.Millisecond, "time"},
		{"no Commit: never", "record", false, 1, time.Hour, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			per, err := config.ParseCommitPer(tt.per)
			if err != nil {
				t.Fatal(err)
			}
			s := Strategy{Name: "x", CommitPer: per}
			if tt.commit {
				s.Commit, s.CommitWhy = commit, "batch"
			}
			w := &worker{s: s, sinceCommit: tt.since, lastCommit: time.Now().Add(-tt.ago)}
			if got := w.commitDue(); got != tt.want {
				t.Errorf("commitDue() = %q, want %q", got, tt.want)
			}
		})
	}
}

// The Strategy combinations the worker cannot play are refused at start, by
// name; the lab's own seven are not.
func TestStrategyValidate(t *testing.T) {
	commit := func(context.Context, *kgo.Client, []*kgo.Record) error { return nil }
	resume := func(context.Context) (map[int32]int64, error) { return nil, nil }
	effect := func(context.Context, *kgo.Client, *kgo.Record) (string, error) { return "", nil }
	ack := func(*kgo.Record, error) kgo.AckStatus { return kgo.AckAccept }
	none, _ := config.ParseCommitPer("none")
	count, _ := config.ParseCommitPer("count:10")
	tests := []struct {
		name string
		s    Strategy
		ok   bool
	}{
		{"auto-commit", Strategy{Name: "auto-commit"}, true},
		{"manual-sync", Strategy{Name: "manual-sync", Commit: commit, CommitWhy: "batch", Wait: true}, true},
		{"manual-sync COMMIT_PER=none", Strategy{Name: "manual-sync", Commit: commit, CommitWhy: "batch", Wait: true, CommitPer: none}, true},
		{"manual-async", Strategy{Name: "manual-async", Processed: func(*kgo.Client, *kgo.Record) {}, Commit: commit, CommitWhy: "flush"}, true},
		{"db-offsets", Strategy{Name: "db-offsets", Effect: effect, Resume: resume, ResumeFrom: "the database", Commit: commit, CommitWhy: "copy"}, true},
		{"transactional", Strategy{Name: "transactional", Effect: effect, Transact: true}, true},
		{"share", Strategy{Name: "share", Ack: ack}, true},
		{"no name", Strategy{}, false},
		{"share with a commit", Strategy{Name: "x", Ack: ack, Commit: commit, CommitWhy: "batch"}, false},
		{"a transaction with a commit of its own", Strategy{Name: "x", Transact: true, Commit: commit, CommitWhy: "batch"}, false},
		{"Wait without Commit", Strategy{Name: "x", Wait: true}, false},
		{"Commit without its word", Strategy{Name: "x", Commit: commit}, false},
		{"COMMIT_PER without Commit", Strategy{Name: "x", CommitPer: count}, false},
		{"Resume without where from", Strategy{Name: "x", Resume: resume}, false},
	}
	for _, tt := range tests {
		if err := tt.s.validate(); (err == nil) != tt.ok {
			t.Errorf("%s: validate() = %v, want ok=%v", tt.name, err, tt.ok)
		}
	}
}
