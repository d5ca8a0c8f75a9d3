package worker

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"offsetlab/internal/config"
	"offsetlab/internal/events"
	"offsetlab/internal/processedlog"
)

// errNotLogged: a record's line could not be written to the processed log.
var errNotLogged = errors.New("not in the processed log")

// errDead: the run crashed while the record was worked on (by another of a
// pool's goroutines): a dead process writes no more lines.
var errDead = errors.New("the run crashed")

// process does the pretend work, writes the record's line, does the
// strategy's effect, then lets the strategy mark it. The order matters: the
// line is in the log before the effect and before the offset can be
// committed, so the log (every delivery) never misses a committed record or
// a stored effect. It returns how many records this run processed with it,
// or the effect's error, errNotLogged or errDead. A pool's goroutines call it
// side by side.
func (w *worker) process(ctx context.Context, r *kgo.Record) (int64, error) {
	w.mu.Lock()
	first := w.firstAt.IsZero()
	if first {
		w.firstAt = time.Now()
	}
	w.mu.Unlock()
	if first {
		w.out.Printf("first record %.2fs after start", time.Since(w.start).Seconds())
	}
	w.work(ctx, r)
	if w.dead.Load() {
		return 0, errDead
	}
	// The event before the log line: a process killed between the two
	// leaves an event the processed log does not confirm, which a reader
	// can drop (the log is the ground truth), never the other way round.
	w.event(events.Event{Kind: events.Processed, Partition: events.P(r.Partition), Offset: events.O(r.Offset)})
	e := processedlog.Entry{Partition: r.Partition, Offset: r.Offset, Key: string(r.Key), Value: string(r.Value)}
	if err := w.log.Append(e); err != nil {
		return 0, fmt.Errorf("%w: %w", errNotLogged, err)
	}
	skipped := ""
	if w.s.Effect != nil {
		// Not stopped by Ctrl+C: a transaction begun is finished.
		var err error
		if skipped, err = w.s.Effect(context.WithoutCancel(ctx), w.cl, r); err != nil {
			return 0, err
		}
		if skipped == "" {
			w.effects++
		} else {
			w.skipped++
		}
	}
	if w.s.Processed != nil {
		w.s.Processed(w.cl, r)
	}
	n := w.processed.Add(1)
	w.mu.Lock()
	if last, ok := w.position[r.Partition]; !ok || r.Offset > last.Offset {
		w.position[r.Partition] = r
	}
	w.fetched[r.Partition] = r.Offset + 1
	w.lastAt = time.Now()
	w.mu.Unlock()
	if w.cfg.Print != config.PrintRecords {
		return n, nil
	}
	crash := ""
	if w.cfg.Crash > 0 {
		crash = fmt.Sprintf(" (crash at %d)", w.cfg.Crash)
	}
	w.out.Printf("processed p%d@%d %s %q  [%d this run%s]", r.Partition, r.Offset, r.Key, r.Value, n, crash)
	if skipped != "" {
		w.out.Printf("%s", skipped)
	}
	return n, nil
}
