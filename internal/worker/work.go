package worker

import (
	"context"
	"os"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
)

// work is a record's pretend work: WORK_DELAY, then, while the WORK_HOLD
// file exists, a wait, as for a downstream call that hangs. The batch stays
// in hand meanwhile, so the member does not rejoin a rebalance (with
// BlockRebalanceOnPoll it rejoins only after its batch): holding it is how a
// consumer is made slower than its rebalance timeout for exactly as long as
// it takes the broker to drop it, whatever the machine's speed. A stop
// (Ctrl+C) ends the hold: the record in hand is finished, as ever.
func (w *worker) work(ctx context.Context, r *kgo.Record) {
	time.Sleep(w.cfg.WorkDelay)
	hold := w.cfg.WorkHold
	if hold == "" || !exists(hold) {
		return
	}
	held := time.Now()
	w.out.Printf("work on p%d@%d held: %s exists (a downstream call that hangs); the batch stays in hand until it is removed", r.Partition, r.Offset, hold)
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for exists(hold) {
		select {
		case <-ctx.Done():
			w.out.Printf("work on p%d@%d: the hold ends with the stop after %.1fs", r.Partition, r.Offset, time.Since(held).Seconds())
			return
		case <-tick.C:
		}
	}
	w.out.Printf("work on p%d@%d goes on: %s was removed after %.1fs", r.Partition, r.Offset, hold, time.Since(held).Seconds())
}

func exists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}
