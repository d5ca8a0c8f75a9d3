package worker

import (
	"context"
	"errors"
	"time"

	"offsetlab/internal/config"

	"github.com/twmb/franz-go/pkg/kgo"
)

// loop polls, processes and commits, one batch at a time, until the run
// ends, and returns its exit code. ctx done is a stop: the record in hand is
// finished, what was processed committed.
func (w *worker) loop(ctx context.Context) int {
	lastRecord := time.Now()
	for ctx.Err() == nil {
		select {
		case err := <-w.halt:
			w.out.Printf("error: %v: stopping", err)
			return ExitEffect
		case code := <-w.poolEnded():
			return code
		default:
		}
		fetches, code, end := w.poll(ctx)
		if end {
			return code
		}
		records := fetches.Records()
		if len(records) == 0 && w.crashWanted() {
			return w.crash(nil) // nothing in hand: at once
		}
		if w.cfg.Print == config.PrintProgress {
			w.noteLag(fetches)
		}
		done, code, end := w.batch(ctx, records)
		// kgo holds a rebalance back while a polled batch is in hand
		// (BlockRebalanceOnPoll): whatever ended the batch, it may come now.
		w.cl.AllowRebalance()
		if end {
			return code
		}

		// IDLE_EXIT counts only time in which the broker answered: a run
		// waiting out an outage is not idle, it is waiting.
		if w.broker.isDown() {
			w.broker.remind()
			lastRecord = time.Now()
			continue
		}
		if done > 0 {
			lastRecord = time.Now()
		} else if w.idleOver(ctx, &lastRecord) {
			break
		}
	}
	// A stop that came while no batch was in hand (Ctrl+C, IDLE_EXIT):
	// commit what is left (nothing, unless a commit failed earlier or
	// COMMIT_PER commits less often than every batch).
	if w.s.Commit != nil && len(w.uncommitted()) > 0 {
		if code, fatal := w.commit("shutdown"); fatal {
			return code
		}
	}
	return ExitOK
}

// batch processes one polled batch and commits it as the strategy says (in
// its transaction, with Transact). It returns how many records it processed
// and, when the run must end, the exit code and true: a crash, an effect not
// stored, a commit or a transaction that failed for good. A stop (ctx done)
// ends the batch after the record in hand, and commits what was processed.
func (w *worker) batch(ctx context.Context, records []*kgo.Record) (int, int, bool) {
	if len(records) == 0 {
		return 0, 0, false
	}
	if w.s.Transact {
		if err := w.sess.Begin(); err != nil {
			w.out.Printf("error: begin a transaction: %v", err)
			return 0, ExitSettings, true
		}
		if w.cfg.Print == config.PrintRecords {
			w.out.Printf("transaction began for %s: this batch's tickets and its offsets commit together, or neither does", spans(records))
		}
	}
	if w.pool != nil {
		w.pool.handOff(ctx, records)
		return len(records), 0, false
	}
	done := 0
	for _, r := range records {
		if _, err := w.process(ctx, r); errors.Is(err, errNotLogged) {
			// Not written means not processed: the run ends as a crash
			// does, without committing it.
			w.out.Printf("error: %v; exiting without committing this record", err)
			w.die()
			return done, ExitCrash, true
		} else if err != nil {
			// The effect is not stored, so the record is not done: it
			// stays uncommitted (a restart gets it again), and so does
			// everything after it. What came before it in the batch is in
			// the database and may be committed: the clean stop does.
			w.out.Printf("error: the effect of p%d@%d %s was not stored: %v. Stopping: p%d@%d and what follows stay uncommitted, a restart gets them again",
				r.Partition, r.Offset, r.Key, err, r.Partition, r.Offset)
			if w.s.Transact {
				w.endTransaction(false, done)
			}
			return done, ExitEffect, true
		}
		done++
		w.sinceCommit++
		if w.cfg.Crash > 0 && w.processed.Load() == int64(w.cfg.Crash) || w.crashWanted() {
			return done, w.crash(r), true
		}
		if why := w.commitDue(); why != "" {
			if code, fatal := w.commit(why); fatal {
				return done, code, true
			}
			w.sinceCommit, w.lastCommit = 0, time.Now()
		}
		if ctx.Err() != nil {
			break // the record in hand is finished; the rest of the batch is not ours to process
		}
	}
	if w.s.Transact {
		if code, fatal := w.endTransaction(done == len(records), done); fatal {
			return done, code, true
		}
	}
	if w.s.Commit != nil && (w.s.CommitPer.PerBatch() || ctx.Err() != nil) {
		why := w.s.CommitWhy
		if ctx.Err() != nil {
			why = "shutdown"
		}
		if code, fatal := w.commit(why); fatal {
			return done, code, true
		}
		w.sinceCommit, w.lastCommit = 0, time.Now()
	}
	return done, 0, false
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
		if w.dead.Load() {
			return nil, ExitCrash, true // a pool's goroutine crashed the run
		}
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
