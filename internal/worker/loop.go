package worker

import (
	"context"
	"fmt"
	"offsetlab/internal/config"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
)

func (w *worker) loop(stop <-chan struct{}, stopped func() bool) int {
	cfg := w.cfg
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() { <-stop; cancel() }()
	lastRecord := time.Now()
	for !stopped() {
		select {
		case err := <-w.halt:
			w.out.printf("error: %v: stopping", err)
			w.cl.AllowRebalance()
			return ExitEffect
		default:
		}
		fetches, code, end := w.poll(ctx)
		if end {
			w.cl.AllowRebalance()
			return code
		}

		records := fetches.Records()
		if cfg.Print == config.PrintProgress {
			w.noteLag(fetches)
		}
		if w.s.Transact && len(records) > 0 {
			if err := w.sess.Begin(); err != nil {
				w.cl.AllowRebalance()
				return w.fail(ExitSettings, fmt.Errorf("begin a transaction: %w", err))
			}
			if cfg.Print == config.PrintRecords {
				w.out.printf("transaction began for %s: this batch's tickets and its offsets commit together, or neither does", spans(records))
			}
		}
		var done []*kgo.Record
		for _, r := range records {
			if err := w.process(ctx, r); err != nil {
				// The effect is not stored, so the record is not done: it
				// stays uncommitted (a restart gets it again), and so does
				// everything after it. What came before it in the batch is
				// in the database and may be committed: the clean stop does.
				w.out.printf("error: the effect of p%d@%d %s was not stored: %v. Stopping: p%d@%d and what follows stay uncommitted, a restart gets them again",
					r.Partition, r.Offset, r.Key, err, r.Partition, r.Offset)
				if w.s.Transact {
					w.endTransaction(false, len(done))
				}
				w.cl.AllowRebalance()
				return ExitEffect
			}
			done = append(done, r)
			w.sinceCommit++
			if cfg.Crash > 0 && w.processed.Load() == int64(cfg.Crash) {
				w.crash(r)
			}
			if why := w.commitDue(); why != "" {
				if code, fatal := w.commit(why); fatal {
					w.cl.AllowRebalance()
					return code
				}
				w.sinceCommit, w.lastCommit = 0, time.Now()
			}
			if stopped() {
				break // the record in hand is finished; the rest of the batch is not ours to process
			}
		}
		if w.s.Transact && len(records) > 0 {
			if code, fatal := w.endTransaction(len(done) == len(records), len(done)); fatal {
				w.cl.AllowRebalance()
				return code
			}
		}
		if len(done) > 0 {
			lastRecord = time.Now()
			perBatch := w.s.CommitPer.Kind == "" || w.s.CommitPer.Kind == config.CommitPerBatch
			if w.s.Commit != nil && (perBatch || stopped()) {
				why := w.s.CommitWhy
				if stopped() {
					why = "shutdown"
				}
				if code, fatal := w.commit(why); fatal {
					w.cl.AllowRebalance()
					return code
				}
				w.sinceCommit, w.lastCommit = 0, time.Now()
			}
		}
		w.cl.AllowRebalance()

		// IDLE_EXIT counts only time in which the broker answered: a run
		// waiting out an outage is not idle, it is waiting.
		if w.broker.isDown() {
			w.broker.remind()
			lastRecord = time.Now()
			continue
		}
		if cfg.IdleExit > 0 && len(done) == 0 && time.Since(lastRecord) >= cfg.IdleExit {
			caught, why := w.caughtUp(ctx)
			if caught {
				w.out.printf("no record for %s and every assigned partition is read to its end: stopping (IDLE_EXIT)", cfg.IdleExit)
				return ExitOK
			}
			if !w.unreleased.Load() {
				w.out.printf("idle for %s but %s: waiting", cfg.IdleExit, why)
			}
			lastRecord = time.Now()
		}
	}
	// A stop that came while no batch was in hand: commit what is left
	// (nothing, unless a commit failed earlier).
	if w.s.Commit != nil && len(w.uncommitted()) > 0 {
		if code, fatal := w.commit("shutdown"); fatal {
			return code
		}
	}
	return ExitOK
}

// poll polls at most MAX_POLL_RECORDS, waking up now and then to remind of
// an outage and often enough to check whether the run is idle. Its last
// result is true when the run must end, with the code before it: the client
// was closed (ExitOK), or the poll brought an error waiting cannot cure.
func (w *worker) poll(ctx context.Context) (kgo.Fetches, int, bool) {
	wake := 500 * time.Millisecond
	if w.cfg.IdleExit > 0 {
		wake = min(w.cfg.IdleExit, wake)
	}
	pollCtx, cancel := context.WithTimeout(ctx, wake)
	fetches := w.cl.PollRecords(pollCtx, w.cfg.MaxPollRecords)
	cancel()
	if fetches.IsClientClosed() {
		return nil, ExitOK, true
	}
	code, fatal := w.fetchErrors(ctx, fetches)
	return fetches, code, fatal
}

// commitDue says, after a record, whether CommitPer wants a commit now, and
// why (the commit line's word), or "".
func (w *worker) commitDue() string {
	if w.s.Commit == nil {
		return ""
	}
	switch p := w.s.CommitPer; p.Kind {
	case config.CommitPerRecord:
		return "record"
	case config.CommitPerCount:
		if w.sinceCommit >= p.Count {
			return "count"
		}
	case config.CommitPerTime:
		if time.Since(w.lastCommit) >= p.Every {
			return "time"
		}
	}
	return ""
}
