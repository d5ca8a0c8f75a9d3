package worker

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"sort"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"

	"offsetlab/internal/cluster"
)

// Backoff between tries of a commit the strategy waits for.
const (
	firstBackoff = 250 * time.Millisecond
	maxBackoff   = 4 * time.Second
)

// commit runs the strategy's Commit. A strategy that waits (manual-sync) gets
// its commit tried again until it succeeds: a synchronous commit that failed
// and was forgotten would leave everything since the last good one
// uncommitted, and the loop would go on processing as if it were safe. It
// returns an exit code and true only for an error waiting cannot cure.
func (w *worker) commit(why string) (int, bool) {
	backoff := firstBackoff
	moved := false
	for try := 1; ; try++ {
		if moved {
			// The member was dropped and rejoined: another member may have
			// held these partitions meanwhile and committed past what this
			// one processed. Committing this member's records now would move
			// the group's offsets back; what the broker has decides.
			w.learnCommitted()
		}
		latest := w.uncommitted()
		if w.s.Wait && len(latest) == 0 {
			if try > 1 {
				w.out.Printf("nothing left to commit on the partitions this member holds: going on")
			}
			return 0, false
		}
		err := w.commitOnce(context.Background(), why, latest)
		if err == nil {
			return 0, false
		}
		w.commitFailed(why, nil, err)
		w.timedOut(err)
		switch {
		case unreachable(err) && !w.s.Wait:
			w.broker.failedTry(err) // the next commit covers these offsets
			return 0, false
		case errors.Is(err, kerr.FencedInstanceID):
			w.out.Printf("commit FAILED (%s): %v", why, err)
			return w.fenced(), true
		case !w.s.Wait:
			// Nothing was lost: the offsets stay marked, and the next commit
			// (the timer's, the next batch's) sends them again.
			w.out.Printf("commit FAILED (%s): %v; the next commit covers these offsets", why, err)
			return 0, false
		case !curable(err):
			w.out.Printf("commit FAILED (%s): %v. The broker refuses this commit for good: waiting cannot cure it. "+
				"Stopping without it: a restart processes %s again", why, err, describeRecords(latest))
			return ExitSettings, true
		}
		if unreachable(err) {
			w.broker.down(err)
		}
		advice := ""
		moved = groupMoved(err)
		if droppedMember(err) {
			w.mu.Lock()
			w.dropped = maps.Clone(w.owned)
			w.mu.Unlock()
		}
		if moved {
			// With BlockRebalanceOnPoll the member cannot rejoin while the
			// loop holds the batch; letting it rejoin is the only way this
			// commit can succeed.
			advice = "; the group moved on: letting this member rejoin first"
		}
		w.out.Printf("commit FAILED (%s, try %d): %v%s; trying again in %s. Nothing more is processed until it succeeds (that is what sync means; a second Ctrl+C quits without it)",
			why, try, err, advice, backoff)
		w.cl.AllowRebalance()
		time.Sleep(backoff)
		backoff = min(2*backoff, maxBackoff)
	}
}

// commitOnce runs the strategy's Commit once and, if it succeeded, reports
// what the request kgo sent for it asked the broker to store.
func (w *worker) commitOnce(ctx context.Context, why string, latest []*kgo.Record) error {
	var sent map[int32]int64
	ctx = kgo.PreCommitFnContext(ctx, func(req *kmsg.OffsetCommitRequest) error {
		sent, _ = w.commits.sent(req)
		return nil
	})
	if err := w.s.Commit(ctx, w.cl, latest); err != nil {
		return err
	}
	w.broker.back("a commit went through")
	w.commits.report(why, sent)
	return nil
}

// uncommitted is, for each partition this member holds where this run
// processed past the offset last seen committed, the last record processed
// there, in partition order.
func (w *worker) uncommitted() []*kgo.Record {
	committed := w.commits.known()
	w.mu.Lock()
	defer w.mu.Unlock()
	var out []*kgo.Record
	for p, r := range w.position {
		if !w.owned[p] {
			continue
		}
		if c, ok := committed[p]; ok && c > r.Offset {
			continue
		}
		out = append(out, r)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Partition < out[j].Partition })
	return out
}

// learnCommitted takes the group's committed offsets from the broker as the
// ones this run knows.
func (w *worker) learnCommitted() {
	ctx, cancel := context.WithTimeout(context.Background(), cluster.ReachTimeout)
	defer cancel()
	now, err := w.adm.Committed(ctx, w.cfg.Group, w.cfg.Topic)
	if err != nil {
		w.out.Printf("could not read the group's committed offsets (%v): retrying with what this run knows", err)
		return
	}
	if ahead := w.commits.learn(now); ahead != "" {
		w.out.Printf("the group has committed %s meanwhile (another member held the partitions): this run commits only past that", ahead)
	}
}

// describeRecords is "p1 up to offset 44, p2 up to offset 9" for the last
// records given, or "nothing".
func describeRecords(rs []*kgo.Record) string {
	if len(rs) == 0 {
		return "nothing"
	}
	s := ""
	for i, r := range rs {
		if i > 0 {
			s += ", "
		}
		s += fmt.Sprintf("p%d up to offset %d", r.Partition, r.Offset)
	}
	return "what it processed since the last commit (" + s + ")"
}

// timedOut looks, after a commit answered REQUEST_TIMED_OUT, at what the
// broker has committed: Kafka answers so when it could not confirm the write
// in time, and the write may have happened all the same. The lab's own
// broker does exactly that for a REQUEST_TIMED_OUT fault.
func (w *worker) timedOut(err error) {
	if !errors.Is(err, kerr.RequestTimedOut) {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), cluster.ReachTimeout)
	defer cancel()
	now, qerr := w.adm.Committed(ctx, w.cfg.Group, w.cfg.Topic)
	if qerr != nil {
		return
	}
	if !w.commits.report("timed-out", now) {
		w.out.Printf("after REQUEST_TIMED_OUT the group's committed offsets are unchanged: that commit was not written")
	}
}
