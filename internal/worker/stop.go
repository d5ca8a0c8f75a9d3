package worker

import (
	"context"
	"fmt"
	"strings"

	"github.com/twmb/franz-go/pkg/kgo"

	"offsetlab/internal/cluster"
	"offsetlab/internal/events"
)

// onStop says, as soon as a stop comes (ctx done), what the run does with it.
func (w *worker) onStop(ctx context.Context) {
	done := "committing what was processed"
	if w.s.Ack != nil {
		done = "answering what was processed, releasing the rest of the batch"
	}
	context.AfterFunc(ctx, func() {
		w.out.Printf("%v: finishing the record in hand, %s, leaving the group (again to quit at once)", context.Cause(ctx), done)
	})
}

// crash is the lesson's failure: the client dies, with no commit, no Close
// and no LeaveGroup, and the run ends with ExitCrash, as if the process died.
// Whatever was committed before now is what a restart resumes from. r is
// the record just processed; nil when none was in hand (a crash now while
// the run waited for records).
func (w *worker) crash(r *kgo.Record) int {
	why, at := fmt.Sprintf("CRASH=%d reached", w.cfg.Crash), ""
	if w.crashing.Load() {
		why = "SIGUSR1: crash now"
	}
	if r != nil {
		at = fmt.Sprintf(" at p%d@%d", r.Partition, r.Offset)
	}
	w.out.Printf("%s%s: exit(1) now, without committing or leaving the group; committed so far: %s",
		why, at, w.commits.summary(w.partitions))
	if w.s.Transact {
		w.out.Printf("the batch's transaction stays open, its tickets written but not committed: the next run of INSTANCE=%d aborts it (without one, the broker does after TRANSACTION_TIMEOUT)", w.cfg.Instance)
	}
	w.summary("crash")
	e := events.Event{Kind: events.Crash, Detail: fmt.Sprintf("CRASH=%d", w.cfg.Crash)}
	if w.crashing.Load() {
		e.Detail = "SIGUSR1"
	}
	if r != nil {
		e.Partition, e.Offset = events.P(r.Partition), events.O(r.Offset)
	}
	w.event(e)
	// Last, as os.Exit was: the lines and the event are out before the
	// loop (woken by the dead client) can end the run and close the logs.
	w.die()
	return ExitCrash
}

// shutdown: close (kgo's own final commit happens here for auto-commit), then
// remove the static member, which kgo does not do on Close.
func (w *worker) shutdown(code int) {
	w.commits.closing.Store(true)
	w.cl.CloseAllowingRebalance()
	if code == ExitFenced {
		// The static member id now belongs to the other process: leave it be.
		w.summary("fenced")
		w.event(events.Event{Kind: events.Stop, Cause: "fenced"})
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), cluster.ReachTimeout)
	defer cancel()
	if err := w.adm.RemoveStaticMember(ctx, w.cfg.Group, w.id); err != nil {
		w.out.Printf("warning: %v (the broker drops it when its session times out)", err)
	} else {
		w.out.Printf("left group %s (removed static member %s)", w.cfg.Group, w.id)
	}
	how := "clean"
	if code != ExitOK {
		how = "error"
	}
	w.summary(how)
	w.event(events.Event{Kind: events.Stop, Cause: how, Offsets: events.OffsetsOf(w.commits.known())})
}

func (w *worker) summary(how string) {
	rate := ""
	n := w.processed.Load()
	w.mu.Lock()
	defer w.mu.Unlock()
	if took := w.lastAt.Sub(w.firstAt); n > 1 && took > 0 {
		rate = fmt.Sprintf(" (%.0f/s)", float64(n-1)/took.Seconds())
	}
	w.out.Printf("stats: %d records in %.3f s from the first to the last%s; %s",
		n, w.lastAt.Sub(w.firstAt).Seconds(), rate, w.commitTimes.line())
	effects := ""
	if w.s.Effect != nil {
		effects = fmt.Sprintf(" effects=%d skipped=%d", w.effects, w.skipped)
	}
	w.out.Printf("summary strategy=%s processed=%d%s commits=%d committed=%s exit=%s",
		w.s.Name, n, effects, w.commits.count(), strings.ReplaceAll(w.commits.summary(w.partitions), " ", ","), how)
}

// crashWanted says whether a crash now (SIGUSR1) came; from then on the run
// crashes, at the next record done or at once when none is in hand.
func (w *worker) crashWanted() bool {
	select {
	case <-w.crashNow:
		w.crashing.Store(true)
	default:
	}
	return w.crashing.Load()
}
