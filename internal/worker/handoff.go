package worker

import (
	"context"
	"errors"
	"sync"

	"github.com/twmb/franz-go/pkg/kgo"
)

// handoffQueue is how many handed-off records may wait for a goroutine of
// the pool before the loop waits to hand off more.
const handoffQueue = 1000

// pool is HANDOFF=N: the loop hands each polled batch to N goroutines and
// polls again at once, as a consumer sped up with a worker pool does. An
// auto-commit goes by the loop, not by the pool: kgo commits one poll
// behind, so a record becomes committable when the loop polls again, which
// it now does before the pool has worked on it. A crash then loses what the
// pool held: committed, never processed. A stop (Ctrl+C) finishes the
// records in hand and works on no more; kgo's commits (the timer's, and the
// last one as the member leaves) cover the rest, which is lost too.
type pool struct {
	queue chan *kgo.Record
	ended chan int // a goroutine's record ended the run: the exit code
	wg    sync.WaitGroup
}

// startPool starts the cfg.Handoff goroutines.
func (w *worker) startPool(ctx context.Context) *pool {
	p := &pool{queue: make(chan *kgo.Record, handoffQueue), ended: make(chan int, w.cfg.Handoff)}
	for range w.cfg.Handoff {
		p.wg.Add(1)
		go func() {
			defer p.wg.Done()
			for r := range p.queue {
				if ctx.Err() != nil || w.dead.Load() {
					continue // stopped: the rest of the queue is not worked on
				}
				if code, end := w.pooled(ctx, r); end {
					p.ended <- code
				}
			}
		}()
	}
	return p
}

// pooled processes one handed-off record, and says when the run ends with
// it: CRASH reached, or a line that could not be written.
func (w *worker) pooled(ctx context.Context, r *kgo.Record) (int, bool) {
	n, err := w.process(ctx, r)
	switch {
	case errors.Is(err, errDead), err != nil && w.dead.Load():
		return 0, false // another goroutine's record crashed the run
	case err != nil:
		w.out.Printf("error: %v; exiting without committing this record", err)
		w.die()
		return ExitCrash, true
	case w.cfg.Crash > 0 && n == int64(w.cfg.Crash):
		return w.crash(r), true
	}
	return 0, false
}

// handOff queues a polled batch for the pool; it waits only while the queue
// is full, or until a stop.
func (p *pool) handOff(ctx context.Context, records []*kgo.Record) {
	for _, r := range records {
		select {
		case p.queue <- r:
		case <-ctx.Done():
			return
		}
	}
}

// stop ends the pool once the records in hand are done.
func (p *pool) stop() {
	close(p.queue)
	p.wg.Wait()
}

// poolEnded is where a pool's goroutine says the run ended (never, without
// a pool).
func (w *worker) poolEnded() <-chan int {
	if w.pool == nil {
		return nil
	}
	return w.pool.ended
}
