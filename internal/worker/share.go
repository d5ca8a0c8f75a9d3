package worker

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"

	"offsetlab/internal/cluster"
	"offsetlab/internal/config"
	"offsetlab/internal/events"
	"offsetlab/internal/processedlog"
)

// A share group (KIP-932) has no offsets to commit. The broker hands each
// record to one member at a time under an acquisition lock, and the member
// answers per record: accept (done), release (hand it out again, its
// delivery count one higher) or reject (never again: archived). A record
// released once too often (the group's delivery limit) is archived too. A
// record the member never answers for comes back when the broker notices the
// member is gone (its connection closes) or its lock runs out.
//
// runShare is Run for a Strategy with Ack: the same poll → work → log → crash
// loop, with the strategy's acknowledgement in place of a commit.
func (w *worker) runShare(ctx context.Context) int {
	cfg := w.cfg
	if !w.shareSupported(ctx) {
		return ExitSettings
	}
	// Where a new share group starts is a setting of the group, not of the
	// client (share.auto.offset.reset, latest by default): the lab sets it
	// before joining, so that the seeded orders are handed out.
	reset := map[bool]string{false: "earliest", true: "latest"}[cfg.ResetLatest]
	if err := w.adm.SetShareReset(ctx, cfg.Group, reset); err != nil {
		return w.fail(ctx, ExitSettings, err)
	}
	share, err := w.adm.ShareSettings(ctx, cfg.Group)
	if err != nil {
		return w.fail(ctx, ExitSettings, err)
	}
	w.deliveryLimit = share.DeliveryLimit
	w.out.Printf("share group %s: %s (the lab set share.auto.offset.reset; the rest are %s)", cfg.Group, share, share.From)
	if cfg.Poison != "" {
		w.checkPoison(ctx)
	}
	closeLogs, err := w.openLogs()
	if err != nil {
		return w.fail(ctx, ExitSettings, err)
	}
	defer closeLogs()
	w.event(events.Event{Kind: events.Start, Strategy: w.s.Name, Instance: cfg.Instance, Partitions: w.partitions, Detail: w.settings()})

	opts := append(w.clientOpts(ctx),
		// A share group, not a consumer group: no partition is this
		// member's alone, and there is no offset to commit.
		kgo.ShareGroup(cfg.Group),
		kgo.ConsumeTopics(cfg.Topic),
		// The member's name as the broker reports it: the copy and the
		// time this run started, so that a crashed run's member, which the
		// group keeps until its session times out, is told apart.
		kgo.ClientID(w.clientID()),
		// What the broker answered to the acknowledgements kgo sent.
		kgo.ShareAckCallback(w.acked),
	)
	defer w.die()
	if w.cl, err = kgo.NewClient(append(opts, w.s.Opts...)...); err != nil {
		return w.fail(ctx, ExitSettings, fmt.Errorf("consumer client: %w", err))
	}
	close(w.clReady)
	w.onStop(ctx)
	code := w.shareLoop(ctx)
	if code != ExitCrash {
		w.shareShutdown(code)
	}
	return code
}

// shareSupported refuses, by the broker's own answer, a broker without
// share groups.
func (w *worker) shareSupported(ctx context.Context) bool {
	ok, which, err := w.adm.Supports(ctx, kmsg.ShareGroupHeartbeat, 1)
	if err != nil {
		w.fail(ctx, ExitSettings, err)
		return false
	}
	if !ok {
		w.fail(ctx, ExitSettings, fmt.Errorf("%s: it has no share groups (KIP-932 needs ShareGroupHeartbeat v1: Apache Kafka 4.1 or later, with the share.version feature on)", which))
		return false
	}
	return true
}

// checkPoison warns when POISON names no key of the topic: a typo would
// otherwise show a run in which nothing failed.
func (w *worker) checkPoison(ctx context.Context) {
	ranges, err := w.adm.Ranges(ctx, w.cfg.Topic)
	var keys []cluster.Keyed
	if err == nil {
		keys, err = cluster.TopicKeys(ctx, w.cfg.Conn, w.cfg.Topic, ranges)
	}
	if err != nil {
		w.out.Printf("warning: could not read the keys of %s to check POISON=%s: %v", w.cfg.Topic, w.cfg.Poison, err)
		return
	}
	for _, k := range keys {
		if k.Key == w.cfg.Poison {
			return
		}
	}
	// The smallest key as the example: the keys come in whatever order the
	// partitions answered, and the same topic should give the same line.
	example := "none"
	if len(keys) > 0 {
		first := keys[0].Key
		for _, k := range keys[1:] {
			first = min(first, k.Key)
		}
		example = "e.g. " + first
	}
	w.out.Printf("warning: POISON=%s: no record of %s has that key (%d records, %s): no record will fail", w.cfg.Poison, w.cfg.Topic, len(keys), example)
}

// errPoison is the work failing for the POISON record.
var errPoison = errors.New("the work failed (POISON)")

func (w *worker) shareLoop(ctx context.Context) int {
	cfg := w.cfg
	lastRecord := time.Now()
	for ctx.Err() == nil {
		fetches, code, end := w.poll(ctx)
		if end {
			return code
		}
		records := fetches.Records()
		for i, r := range records {
			if ctx.Err() != nil {
				// Not worked on: handed back at once for another member
				// (or the next run), rather than accepted unseen by
				// kgo's next poll.
				w.cl.MarkAcks(kgo.AckRelease, records[i:]...)
				w.out.Printf("released %s unprocessed: the stop came first", spans(records[i:]))
				break
			}
			if code, end := w.shareProcess(ctx, r); end {
				return code
			}
		}
		if len(records) > 0 {
			lastRecord = time.Now()
			// Wait for the broker to have the batch's acknowledgements, as a
			// synchronous commit waits: a crash after this repeats nothing
			// of this batch.
			fctx, fcancel := context.WithTimeout(context.Background(), 30*time.Second)
			if err := w.cl.FlushAcks(fctx); err != nil {
				w.out.Printf("acknowledgements not confirmed within 30s (%v): the broker hands those records out again once their lock runs out", err)
			}
			fcancel()
		}
		if w.broker.isDown() {
			w.broker.remind()
			lastRecord = time.Now()
			continue
		}
		if cfg.IdleExit > 0 && len(records) == 0 && time.Since(lastRecord) >= cfg.IdleExit {
			if done, why := w.shareDone(ctx); done {
				w.out.Printf("no record for %s and the group has every record answered: stopping (IDLE_EXIT)", cfg.IdleExit)
				return ExitOK
			} else {
				w.out.Printf("idle for %s but %s: waiting", cfg.IdleExit, why)
			}
			lastRecord = time.Now()
		}
	}
	return ExitOK
}

// shareProcess works on one record, writes its line (with the delivery count
// and the answer), then marks the answer for kgo to send. It returns
// ExitCrash and true when the run ends with it: CRASH, or a line that could
// not be written.
func (w *worker) shareProcess(ctx context.Context, r *kgo.Record) (int, bool) {
	if w.firstAt.IsZero() {
		w.firstAt = time.Now()
		w.out.Printf("first record %.2fs after start", w.firstAt.Sub(w.start).Seconds())
	}
	w.work(ctx, r)
	var workErr error
	if w.cfg.Poison != "" && string(r.Key) == w.cfg.Poison {
		workErr = errPoison
	}
	status := w.s.Ack(r, workErr)
	delivery := r.DeliveryCount()
	w.event(events.Event{Kind: events.Processed, Partition: events.P(r.Partition), Offset: events.O(r.Offset), Detail: status.String()})
	e := processedlog.Entry{Partition: r.Partition, Offset: r.Offset, Key: string(r.Key), Value: string(r.Value), Delivery: delivery, Ack: status.String()}
	if err := w.log.Append(e); err != nil {
		w.out.Printf("error: %v; exiting without acknowledging this record", err)
		w.die()
		return ExitCrash, true
	}
	n := w.processed.Add(1)
	w.answers.add(status)
	w.lastAt = time.Now()
	if w.cfg.Print == config.PrintRecords {
		crash, why := "", ""
		if w.cfg.Crash > 0 {
			crash = fmt.Sprintf(" (crash at %d)", w.cfg.Crash)
		}
		if workErr != nil {
			why = fmt.Sprintf(": %v", workErr)
			if status == kgo.AckRelease && int(delivery) >= w.deliveryLimit {
				why += fmt.Sprintf("; delivery %d of the limit %d, so the broker archives it instead of handing it out again", delivery, w.deliveryLimit)
			}
		}
		w.out.Printf("processed p%d@%d %s %q delivery %d → %s%s  [%d this run%s]", r.Partition, r.Offset, r.Key, r.Value, delivery, status, why, n, crash)
	}
	if w.cfg.Crash > 0 && n == int64(w.cfg.Crash) || w.crashWanted() {
		return w.shareCrash(r), true
	}
	r.Ack(status)
	return 0, false
}

// shareCrash is the lesson's crash in a share group: exit at once, the
// record in hand and the rest of the batch unanswered. The broker hands
// them out again once it sees this member gone or their locks run out.
func (w *worker) shareCrash(r *kgo.Record) int {
	w.die()
	why, said := fmt.Sprintf("CRASH=%d", w.cfg.Crash), fmt.Sprintf("CRASH=%d reached", w.cfg.Crash)
	if w.crashing.Load() {
		why, said = "SIGUSR1", "SIGUSR1: crash now"
	}
	w.out.Printf("%s at p%d@%d: exit(1) now, unanswered: the broker releases what this member holds when it sees the connection close (or the lock runs out), but keeps its partitions assigned to it until its session times out",
		said, r.Partition, r.Offset)
	w.shareSummary("crash")
	w.event(events.Event{Kind: events.Crash, Partition: events.P(r.Partition), Offset: events.O(r.Offset), Detail: why})
	return ExitCrash
}

// acked is kgo's ShareAckCallback: what the broker answered to the
// acknowledgements kgo sent, per partition. A refusal means those records are
// handed out again (their lock ran out, or the member lost them).
func (w *worker) acked(_ *kgo.Client, results kgo.ShareAckResults) {
	for _, r := range results {
		if r.Err != nil {
			w.answers.failed()
			w.out.Printf("acknowledgements for p%d refused: %v (the broker hands those records out again)", r.Partition, r.Err)
		}
	}
}

// shareDone says whether the group has nothing left to hand out: the
// broker's lag (records not yet accepted or archived) is 0 on every
// partition, or, where it gives none, its start offset is at the log end.
func (w *worker) shareDone(ctx context.Context) (bool, string) {
	g, err := w.adm.DescribeShareGroup(ctx, w.cfg.Group, w.cfg.Topic)
	if err != nil {
		return false, fmt.Sprintf("the share group could not be described (%v)", err)
	}
	ranges, err := w.adm.Ranges(ctx, w.cfg.Topic)
	if err != nil {
		return false, fmt.Sprintf("the topic could not be read (%v)", err)
	}
	for _, p := range w.partitions {
		r := ranges[p]
		if why := w.heldElsewhere(g, p); why != "" && (g.Lag[p] > 0 || r.End > r.Start && g.Start[p] < r.End) {
			return false, why
		}
		if lag, ok := g.Lag[p]; ok {
			if lag > 0 {
				return false, fmt.Sprintf("the group's lag on p%d is %d (records not yet answered)", p, lag)
			}
			continue
		}
		if r.End <= r.Start {
			continue
		}
		start, ok := g.Start[p]
		if !ok {
			return false, fmt.Sprintf("the group has no start offset for p%d yet", p)
		}
		if start < r.End {
			return false, fmt.Sprintf("p%d's start offset is %d of log end %d (records there are not all answered yet)", p, start, r.End)
		}
	}
	return true, ""
}

// clientID is this run's client id: GROUP-INSTANCE and the time it started.
func (w *worker) clientID() string { return w.id + "@" + w.start.Format("15:04:05") }

// heldElsewhere says, for a partition this member is not assigned, who is:
// after a crash, the crashed run's member keeps its partitions (and what it
// was handed there waits) until its session times out. "" if p is this
// member's.
func (w *worker) heldElsewhere(g cluster.ShareGroup, p int32) string {
	var others []string
	for _, m := range g.Members {
		if !slices.Contains(m.Assigned, p) {
			continue
		}
		if m.ClientID == w.clientID() {
			return ""
		}
		others = append(others, m.ClientID)
	}
	if len(others) == 0 {
		return fmt.Sprintf("p%d is not assigned to any member yet", p)
	}
	return fmt.Sprintf("p%d is assigned to %s, not to this run: a member that crashed keeps its partitions until its session times out (share.session.timeout.ms)", p, strings.Join(others, ", "))
}

// shareShutdown leaves the group: kgo sends what is still unanswered
// (nothing after a full batch) and leaves; records it held go back at once.
func (w *worker) shareShutdown(code int) {
	w.cl.Close()
	how := "clean"
	if code != ExitOK {
		how = "error"
	}
	w.out.Printf("left share group %s", w.cfg.Group)
	w.shareSummary(how)
	w.event(events.Event{Kind: events.Stop, Cause: how})
}

func (w *worker) shareSummary(how string) {
	n := w.processed.Load()
	rate := ""
	if took := w.lastAt.Sub(w.firstAt); n > 1 && took > 0 {
		rate = fmt.Sprintf(" (%.0f/s)", float64(n-1)/took.Seconds())
	}
	w.out.Printf("stats: %d records in %.3f s from the first to the last%s", n, w.lastAt.Sub(w.firstAt).Seconds(), rate)
	w.out.Printf("summary strategy=%s processed=%d %s exit=%s", w.s.Name, n, w.answers.String(), how)
}

// answers counts a run's acknowledgements by kind.
type answers struct {
	mu                                    sync.Mutex
	accepted, released, rejected, refused int
}

func (a *answers) add(s kgo.AckStatus) {
	a.mu.Lock()
	defer a.mu.Unlock()
	switch s {
	case kgo.AckAccept:
		a.accepted++
	case kgo.AckRelease:
		a.released++
	case kgo.AckReject:
		a.rejected++
	}
}

func (a *answers) failed() {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.refused++
}

func (a *answers) String() string {
	a.mu.Lock()
	defer a.mu.Unlock()
	return strings.Join([]string{
		fmt.Sprintf("accepted=%d", a.accepted), fmt.Sprintf("released=%d", a.released),
		fmt.Sprintf("rejected=%d", a.rejected), fmt.Sprintf("refused=%d", a.refused),
	}, " ")
}
