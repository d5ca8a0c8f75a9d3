package otherclient

import (
	"context"
	"fmt"
	"time"

	"offsetlab/internal/cluster"
	"offsetlab/internal/config"
	"offsetlab/internal/events"
	"offsetlab/internal/processedlog"
)

// Process is a record in the consumer's hands: unless CRASH strikes first, it
// does the pretend work (WORK_DELAY), then writes the record's line to the
// processed log. Main calls it when the client has given it the record, and
// commits (or lets its client commit) after it returns, as its strategy
// says. The crash strikes with the record in hand, before its work: after
// CRASH records, the next one is never processed by this run.
//
// It returns ErrCrash (main exits with ExitCrash at once, not closing the
// client) or an error writing the log (main exits with ExitCrash too: a
// record's line that cannot be written must not be committed).
func (r *Run) Process(partition int32, offset int64, key, value []byte) error {
	r.mu.Lock()
	n := r.processed
	r.mu.Unlock()
	if r.Cfg.Crash > 0 && n == r.Cfg.Crash {
		return r.crash(partition, offset)
	}
	if n == 0 {
		r.out.Printf("first record %.2fs after start", time.Since(r.start).Seconds())
	}
	time.Sleep(r.Cfg.WorkDelay)
	// The event before the log line, as the worker does: a process killed
	// between the two leaves an event the log does not confirm, never the
	// other way round.
	r.event(events.Event{Kind: events.Processed, Partition: events.P(partition), Offset: events.O(offset)})
	if err := r.log.Append(processedlog.Entry{Partition: partition, Offset: offset, Key: string(key), Value: string(value)}); err != nil {
		r.out.Printf("error: %v: exit(1) before anything more is committed", err)
		return fmt.Errorf("%w: %w", ErrCrash, err)
	}
	r.mu.Lock()
	r.processed++
	n = r.processed
	if offset+1 > r.position[partition] {
		r.position[partition] = offset + 1
	}
	r.lastAt = time.Now()
	r.mu.Unlock()
	crash := ""
	if r.Cfg.Crash > 0 {
		crash = fmt.Sprintf(" (crash at %d)", r.Cfg.Crash)
	}
	r.out.Printf("processed p%d@%d %s %q  [%d this run%s]", partition, offset, key, value, n, crash)
	return nil
}

// crashWait bounds CRASH_WHEN=committed: long enough for a background
// committer to run several times (librdkafka's default interval is 5 s),
// short enough for a client that commits only after the work to be seen
// not to.
func crashWait(every time.Duration) time.Duration {
	return max(5*every, 5*time.Second)
}

// crash: CRASH reached with the record at partition, offset in hand. Under
// CRASH_WHEN=committed it first waits until the broker has that record as
// committed (its offset+1 or more), which is the moment the record would be
// lost, or until crashWait says the client does not commit it.
func (r *Run) crash(partition int32, offset int64) error {
	if r.Cfg.CrashWhen == config.CrashCommitted {
		limit := crashWait(r.Cfg.CommitEvery)
		r.out.Printf("CRASH=%d reached with p%d@%d in hand: waiting (at most %s) until the broker has it as committed, before its work", r.Cfg.Crash, partition, offset, limit)
		deadline := time.Now().Add(limit)
		for {
			r.seenAtBroker(context.Background(), "in-hand")
			r.mu.Lock()
			c, ok := r.committed[partition]
			r.mu.Unlock()
			if ok && c > offset {
				r.out.Printf("the broker has p%d at %d: the client committed p%d@%d, which it handed over but the work never finished", partition, c, partition, offset)
				break
			}
			if time.Now().After(deadline) {
				r.out.Printf("the broker still has p%d at %s after %s: the client does not commit a record in hand", partition, dash(c, ok), limit)
				break
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
	r.mu.Lock()
	committed := cluster.OffsetsLine(r.committed, r.partitions)
	r.mu.Unlock()
	r.out.Printf("CRASH=%d reached with p%d@%d in hand: exit(1) now, without its work, without closing the client; committed so far: %s",
		r.Cfg.Crash, partition, offset, committed)
	r.summary("crash")
	r.event(events.Event{Kind: events.Crash, Partition: events.P(partition), Offset: events.O(offset), Detail: fmt.Sprintf("CRASH=%d", r.Cfg.Crash)})
	return ErrCrash
}

func dash(o int64, ok bool) string {
	if !ok {
		return "-"
	}
	return fmt.Sprint(o)
}
