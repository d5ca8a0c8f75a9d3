package experiment

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"time"

	"offsetlab/internal/proc"
)

// Scenario is one failure from the lesson texts, played for each strategy.
type Scenario struct {
	Name string
	// Claim is what the lesson texts say happens, and where.
	Claim string
	// Shows is what the lab does to check it.
	Shows string
	// Embedded: needs the experiment's own broker (to kill it or to make
	// its commits fail); skipped, and said so, on a broker given by BROKERS.
	Embedded bool
	// Cluster: plays on a three-node Apache Kafka the experiment starts for
	// it (Java, the jars from Maven Central; half a minute more), so it is
	// played only when SCENARIOS names it.
	Cluster bool
	Play    func(ctx context.Context, l *lab, cells []*cell) error
	// Judge says whether the strategy kept its promise, and in what words.
	Judge func(s Consumer, r Result) (bool, string)
}

// The lab's usual settings: the lesson's 50 ms of work per record and
// 5-record polls. A run "to the end" stops once caught up and idle for 1s.
const batch = 5

var toEnd = []string{"IDLE_EXIT=1s", "CRASH=0"}

// Scenarios, in the order the table lists them.
var Scenarios = []Scenario{
	{
		Name:  "crash",
		Claim: "offset-commits-lesson.txt: a crash before the commit makes the restart process again everything since the last commit; for auto-commit everything since the last tick, for manual-sync exactly one batch, for manual-async the marks not yet flushed.",
		Shows: "30 orders in 3 partitions; a run that exits(1) after 10 records (CRASH=10), then a run to the end.",
		Play: func(ctx context.Context, l *lab, cells []*cell) error {
			return each(cells, func(c *cell) error {
				if err := c.fresh(ctx, 3, 30); err != nil {
					return err
				}
				if err := c.run(ctx, 1, "CRASH=10"); err != nil {
					return err
				}
				return c.run(ctx, 0, toEnd...)
			})
		},
		Judge: func(s Consumer, r Result) (bool, string) { return atLeastOnce(s, r, batch) },
	},
	{
		Name:  "sigkill",
		Claim: "at-least-once-vs-exactly-once.txt: the replay window spans from the last committed offset to the point of the crash, whenever it comes.",
		Shows: "90 orders; four runs SIGKILLed at random moments (0.15 to 0.9 s after their first record), then a run to the end.",
		Play: func(ctx context.Context, l *lab, cells []*cell) error {
			return each(cells, func(c *cell) error {
				if err := c.fresh(ctx, 3, 90); err != nil {
					return err
				}
				for k := 0; k < 4; k++ {
					p, err := c.start()
					if err != nil {
						return err
					}
					if !waitFor(ctx, p, 20*time.Second, "first record") {
						p.Kill()
						c.note("run %d had no record to process: not killed", k+1)
						continue
					}
					after := time.Duration(150+rand.IntN(750)) * time.Millisecond
					time.Sleep(after)
					p.Kill()
					c.note("run %d SIGKILLed %s after its first record", k+1, after)
				}
				return c.run(ctx, 0, toEnd...)
			})
		},
		Judge: func(s Consumer, r Result) (bool, string) { return atLeastOnce(s, r, batch) },
	},
	{
		Name:     "broker-restart",
		Embedded: true,
		Claim:    "offsets-and-read-position.txt: commits fail when the coordinator goes away; what was not committed is processed again.",
		Shows:    "150 orders; the broker process SIGKILLed once every consumer processed 25, started again 4 s later (longer than kgo's 3 s heartbeat interval: the consumers notice); the same runs go on to the end.",
		Play: func(ctx context.Context, l *lab, cells []*cell) error {
			for _, c := range cells {
				if err := c.fresh(ctx, 3, 150); err != nil {
					return err
				}
			}
			procs, err := startAt25(ctx, cells, "IDLE_EXIT=2s", 30*time.Second)
			if err != nil {
				return err
			}
			l.killBroker()
			time.Sleep(4 * time.Second)
			if err := l.startBroker(ctx); err != nil {
				return err
			}
			for i, p := range procs {
				if err := cells[i].expect(ctx, p, 0); err != nil {
					return err
				}
			}
			return nil
		},
		Judge: func(s Consumer, r Result) (bool, string) {
			if r.Lost != 0 {
				return false, fmt.Sprintf("lost %d", r.Lost)
			}
			if !s.Bounded {
				return true, fmt.Sprintf("lost 0; repeated %d: kgo drops what it had not committed when the group forgets the member, and re-reads from the last commit (no bound by the batch)", r.Duplicates)
			}
			if r.Duplicates > 3*batch {
				return false, fmt.Sprintf("repeated %d, more than one batch per partition (%d)", r.Duplicates, 3*batch)
			}
			return true, fmt.Sprintf("lost 0; repeated %d ≤ one batch per partition (%d): the rejoin commit", r.Duplicates, 3*batch)
		},
	},
	{
		Name:     "commit-fail",
		Embedded: true,
		Claim:    "offsets-and-read-position.txt: when commits fail while processing goes on, a crash makes the restart process again everything since the last commit that succeeded.",
		Shows:    "30 orders; every commit of the group fails with REBALANCE_IN_PROGRESS (manual-sync: the first 3), 200 ms timers, a crash after 20, the faults cleared, a run to the end.",
		Play: func(ctx context.Context, l *lab, cells []*cell) error {
			procs := make([]*proc.Proc, len(cells))
			for i, c := range cells {
				if err := c.fresh(ctx, 3, 30); err != nil {
					return err
				}
				count, settings := "all", []string{"CRASH=20", "COMMIT_EVERY=200ms"}
				if c.consumer.Name == "sync" {
					// sync stops processing until its commit succeeds: with
					// every commit failing it would never reach the crash.
					count, settings = "3", []string{"CRASH=20"}
				}
				if err := l.fault(ctx, c.dir, []string{"ERR=REBALANCE_IN_PROGRESS", "COUNT=" + count, "GROUP=" + c.group}, "fault-commit"); err != nil {
					return err
				}
				p, err := c.start(settings...)
				if err != nil {
					return err
				}
				procs[i] = p
			}
			for i, p := range procs {
				if err := cells[i].expect(ctx, p, 1); err != nil {
					return err
				}
			}
			if err := l.fault(ctx, filepath.Dir(cells[0].dir), nil, "fault-clear"); err != nil {
				return err
			}
			return each(cells, func(c *cell) error { return c.run(ctx, 0, toEnd...) })
		},
		Judge: func(s Consumer, r Result) (bool, string) {
			if r.Failed == 0 {
				return false, "no commit failed: the fault did not apply"
			}
			// Only manual-sync waits for a failed commit; manual-async's
			// marks pile up like auto-commit's offsets while commits fail.
			waits := s.Name == "sync"
			ok, why := atLeastOnce(Consumer{Name: s.Name, Bounded: waits}, r, batch)
			if ok && !waits && r.Window != 20 {
				return false, fmt.Sprintf("window %d, want all 20 processed since the last good commit", r.Window)
			}
			return ok, fmt.Sprintf("%d failed commit tries; %s", r.Failed, why)
		},
	},
	{
		Name:  "rebalance",
		Claim: "offsets-and-read-position.txt: once a rebalance happens, uncommitted offsets are lost and duplicate processing follows.",
		Shows: "90 orders at 100 ms; a second copy (INSTANCE=2) joins after the first processed 10, and leaves (Ctrl+C) after it processed 10 itself; the first is stopped (Ctrl+C) once the group has committed everything.",
		Play: func(ctx context.Context, l *lab, cells []*cell) error {
			return each(cells, func(c *cell) error {
				if err := c.fresh(ctx, 3, 90); err != nil {
					return err
				}
				one, err := c.start("WORK_DELAY=100ms")
				if err != nil {
					return err
				}
				if !waitFor(ctx, one, 30*time.Second, "[10 this run") {
					return fmt.Errorf("copy 1 never processed 10: %s", one.Tail(3))
				}
				two, err := c.start("INSTANCE=2", "WORK_DELAY=100ms")
				if err != nil {
					return err
				}
				if !waitFor(ctx, two, 30*time.Second, "[10 this run") {
					c.note("copy 2 processed fewer than 10 before it was stopped")
				}
				if err := c.stop(ctx, two); err != nil {
					return err
				}
				if err := c.waitCommitted(ctx, time.Minute); err != nil {
					return err
				}
				return c.stop(ctx, one)
			})
		},
		Judge: func(s Consumer, r Result) (bool, string) {
			if r.Lost != 0 {
				return false, fmt.Sprintf("lost %d", r.Lost)
			}
			if r.Duplicates > batch {
				return false, fmt.Sprintf("repeated %d, more than the batch in hand (%d)", r.Duplicates, batch)
			}
			return true, fmt.Sprintf("lost 0; repeated %d: a rebalance waits for the batch in hand (BlockRebalanceOnPoll), which is committed before its partitions move", r.Duplicates)
		},
	},
	{
		Name:  "ctrl-c",
		Claim: "offset-management-principle.txt, offsets-and-read-position.txt: commit once more, synchronously, on shutdown, so that a clean stop repeats nothing.",
		Shows: "30 orders at 100 ms; SIGINT after the 7th record (in the middle of the second batch), then a run to the end.",
		Play: func(ctx context.Context, l *lab, cells []*cell) error {
			return each(cells, func(c *cell) error {
				if err := c.fresh(ctx, 3, 30); err != nil {
					return err
				}
				p, err := c.start("WORK_DELAY=100ms")
				if err != nil {
					return err
				}
				if !waitFor(ctx, p, 30*time.Second, "[7 this run") {
					return fmt.Errorf("never processed 7: %s", p.Tail(3))
				}
				_ = p.Signal(os.Interrupt)
				if err := c.expect(ctx, p, 0); err != nil {
					return err
				}
				return c.run(ctx, 0, toEnd...)
			})
		},
		Judge: func(s Consumer, r Result) (bool, string) {
			if r.Lost != 0 || r.Window < 0 || r.Duplicates != r.Window {
				return false, fmt.Sprintf("lost %d, repeated %d, window %d", r.Lost, r.Duplicates, r.Window)
			}
			if s.Bounded && r.Duplicates != 0 {
				return false, fmt.Sprintf("repeated %d after a clean stop, want 0", r.Duplicates)
			}
			if !s.Bounded && r.Duplicates > batch {
				return false, fmt.Sprintf("repeated %d after a clean stop, more than the batch in hand", r.Duplicates)
			}
			if !s.Bounded {
				return true, fmt.Sprintf("lost 0; repeated %d: kgo's own commit on Close is one poll behind, so the processed part of the batch in hand repeats", r.Duplicates)
			}
			return true, "lost 0, repeated 0: the final commit covered everything processed"
		},
	},
	{
		Name:  "slow",
		Claim: "offsets-and-read-position.txt: processing that takes longer than max.poll.interval.ms makes the broker drop the consumer and rebalance, and duplicates follow. franz-go has no max.poll.interval.ms: heartbeats go on in the background however slow a batch is.",
		Shows: "30 orders; copy 1's work stalls on the first record of its first batch (WORK_HOLD: a downstream call that hangs), REBALANCE_TIMEOUT=8s (well over kgo's 3 s heartbeat interval, so that a member that is not stuck always rejoins in time); a fast copy 2 joins. The rebalance waits 8 s for copy 1, which is in the middle of its batch, then goes on without it; once the broker has dropped copy 1, its work goes on.",
		Play: func(ctx context.Context, l *lab, cells []*cell) error {
			return each(cells, func(c *cell) error {
				if err := c.fresh(ctx, 3, 30); err != nil {
					return err
				}
				// The hold, not a guessed work time, keeps copy 1 in its
				// batch until the broker has dropped it: however slow the
				// machine, the race always goes the lesson's way.
				hold := filepath.Join(c.dir, "hold")
				if err := os.WriteFile(hold, nil, 0o644); err != nil {
					return err
				}
				defer os.Remove(hold)
				const timeout = "REBALANCE_TIMEOUT=8s"
				one, err := c.start("WORK_DELAY=100ms", "WORK_HOLD="+hold, timeout)
				if err != nil {
					return err
				}
				if !waitFor(ctx, one, 30*time.Second, "held:") {
					return fmt.Errorf("copy 1 never began a record: %s", one.Tail(3))
				}
				two, err := c.start("INSTANCE=2", "WORK_DELAY=20ms", timeout)
				if err != nil {
					return err
				}
				began := time.Now()
				if err := c.waitDropped(ctx, 1, 2*time.Minute); err != nil {
					return err
				}
				c.note("copy 1 held in its batch; the broker dropped it from the group %.1f s after copy 2 started (REBALANCE_TIMEOUT=8s)", time.Since(began).Seconds())
				if err := os.Remove(hold); err != nil {
					return err
				}
				// Copy 1 learns it was dropped only when it next talks to the
				// group after its batch (a commit refused, its partitions
				// lost), then rejoins. Both copies are stopped once every
				// record was processed and the group holds both again: not
				// once the group committed everything, because a dropped
				// member's commit on rejoining can move the offsets back
				// (kgo's own revoke commit does, for auto-commit and
				// manual-async), and that is for the table to show.
				if !waitFor(ctx, one, time.Minute, "commit FAILED", "lost p") {
					return fmt.Errorf("copy 1 never heard it was dropped: %s", one.Tail(3))
				}
				if err := c.waitDone(ctx, 2, time.Minute); err != nil {
					return err
				}
				if err := c.stop(ctx, one, two); err != nil {
					return err
				}
				c.note("once its work went on, copy 1 processed %d records until the stop: the held batch, what kgo had buffered for it, and what it got after it rejoined", one.CountAfter("goes on:", "| processed p"))
				return nil
			})
		},
		Judge: func(s Consumer, r Result) (bool, string) {
			if r.Lost != 0 {
				return false, fmt.Sprintf("lost %d", r.Lost)
			}
			if r.LostGroup == 0 && r.Failed == 0 {
				return false, "the slow copy was never dropped: no lost partitions, no failed commit"
			}
			// What repeats varies, and is reported, not pinned: the held
			// batch if the other copy was given its partition (the embedded
			// broker does; Kafka's classic protocol left it unassigned until
			// the held copy rejoined), and what kgo had buffered for the
			// dropped copy and handed out before it learned it was dropped
			// (under KIP-848 at its next heartbeat, up to 5 s later).
			return true, fmt.Sprintf("lost 0; the held copy missed the rebalance and was dropped (%d failed commit tries, %d lost-partition events); %d repeated: what both copies processed (the held batch when the other copy was given its partition, and what kgo had buffered for the dropped copy and handed out before it learned it was dropped)",
				r.Failed, r.LostGroup, r.Duplicates)
		},
	},
	{
		Name:  "new-group-latest",
		Claim: "offsets-and-read-position.txt: with auto.offset.reset=latest a group with no committed offset reads only what is produced from now on.",
		Shows: "30 orders waiting; a new group starts with RESET=latest; 12 more orders are produced once it has its partitions.",
		Play:  newGroup("latest"),
		Judge: func(s Consumer, r Result) (bool, string) {
			if r.Processed != 12 || r.Lost != 30 {
				return false, fmt.Sprintf("processed %d and lost %d, want 12 and the backlog of 30", r.Processed, r.Lost)
			}
			return true, "the backlog of 30 was never processed (lost 30): latest skips it; only the 12 new orders were"
		},
	},
	{
		Name:  "new-group-earliest",
		Claim: "offsets-and-read-position.txt: earliest is for an application that must process all the data there is.",
		Shows: "the same with RESET=earliest (the lab's default).",
		Play:  newGroup("earliest"),
		Judge: func(s Consumer, r Result) (bool, string) {
			if r.Processed != 42 || r.Lost != 0 {
				return false, fmt.Sprintf("processed %d and lost %d, want 42 and 0", r.Processed, r.Lost)
			}
			return true, "all 42 processed, the backlog first"
		},
	},
	{
		Name:  "greedy",
		Claim: "offset-commits-lesson.txt: auto-commit commits what the poll returned, not what was processed; a tick during slow work followed by a crash loses records.",
		Shows: "30 orders; the whole backlog in one poll (MAX_POLL_RECORDS=0), 100 ms per record, a crash after 20; auto-commit with GREEDY=1 and a 1 s timer. The same recipe for the other two.",
		Play: func(ctx context.Context, l *lab, cells []*cell) error {
			return each(cells, func(c *cell) error {
				if err := c.fresh(ctx, 3, 30); err != nil {
					return err
				}
				settings := []string{"MAX_POLL_RECORDS=0", "WORK_DELAY=100ms", "CRASH=20"}
				if !c.consumer.Bounded {
					settings = append(settings, "GREEDY=1", "COMMIT_EVERY=1s")
				}
				if err := c.run(ctx, 1, settings...); err != nil {
					return err
				}
				return c.run(ctx, 0, append(toEnd, "WORK_DELAY=20ms")...)
			})
		},
		Judge: func(s Consumer, r Result) (bool, string) {
			if !s.Bounded {
				if r.Lost == 0 {
					return false, "GREEDY=1 lost nothing: the tick did not fire inside the batch"
				}
				return true, fmt.Sprintf("lost %d: the tick committed the whole poll while it was being processed, and the crash left the rest committed but never processed (at-most-once)", r.Lost)
			}
			return atLeastOnce(s, r, 30)
		},
	},
	{
		Name:    "coordinator-failover",
		Cluster: true,
		Claim:   "offsets-and-read-position.txt: commits go to the group's coordinator, the broker leading the group's __consumer_offsets partition (abs(groupId.hashCode()) % 50); when it fails, another replica of that partition takes over and the commits follow it.",
		Shows:   "a three-node Apache Kafka (replication 3, min.insync.replicas 2); 150 orders; the three groups named so that one __consumer_offsets partition, so one broker, holds all their commits; that broker SIGKILLed once every consumer processed 25, started again once another broker coordinates the groups (5 s after the kill at the earliest); the same runs go on to the end.",
		Play: func(ctx context.Context, l *lab, cells []*cell) error {
			partition := oneCoordinator(cells)
			if err := each(cells, func(c *cell) error { return c.fresh(ctx, 3, 150) }); err != nil {
				return err
			}
			procs, err := startAt25(ctx, cells, "IDLE_EXIT=3s", 60*time.Second)
			if err != nil {
				return err
			}
			old, err := l.coordinator(ctx, cells[0].group)
			if err != nil {
				return err
			}
			for _, c := range cells[1:] {
				if node, err := l.coordinator(ctx, c.group); err != nil || node != old {
					return fmt.Errorf("group %s: coordinator %d (%v), not broker %d like %s: the formula and the cluster disagree", c.group, node, err, old, cells[0].group)
				}
			}
			killed := time.Now()
			if err := l.killNode(ctx, old); err != nil {
				return err
			}
			node, took, err := l.newCoordinator(ctx, cells[0].group, old, time.Minute)
			if err != nil {
				return err
			}
			time.Sleep(time.Until(killed.Add(5 * time.Second)))
			if err := l.nodeUp(ctx, old); err != nil {
				return err
			}
			back := time.Since(killed)
			for _, c := range cells {
				c.note("group %s commits to __consumer_offsets partition %d; its coordinator, broker %d, SIGKILLed after 25 records; the cluster named broker %d %.1f s later; broker %d back %.1f s after the kill",
					c.group, partition, old, node, took.Seconds(), old, back.Seconds())
			}
			for i, p := range procs {
				if err := cells[i].expect(ctx, p, 0); err != nil {
					return err
				}
				cells[i].note("%s", commitTrouble(p))
			}
			return nil
		},
		Judge: func(s Consumer, r Result) (bool, string) {
			if r.Lost != 0 {
				return false, fmt.Sprintf("lost %d", r.Lost)
			}
			if r.Duplicates != 0 && s.Bounded {
				// One run throughout: the commits waited and were retried
				// against the new coordinator, so no record needed
				// processing again.
				return false, fmt.Sprintf("repeated %d within one run", r.Duplicates)
			}
			if r.Duplicates != 0 {
				// auto-commit's timer commits fail while the coordinator
				// moves; if kgo's group session ends meanwhile, kgo drops
				// what it had not committed and re-reads from the last
				// commit, as after a broker restart (seen once in CI: 40).
				return true, fmt.Sprintf("lost 0; repeated %d: kgo's group session ended while the coordinator moved, and kgo re-read from the last timer commit that went through (no bound by the batch)", r.Duplicates)
			}
			if r.Window != 0 {
				return false, fmt.Sprintf("lost 0, but the run ended %d records past its committed offsets: a restart would repeat them", r.Window)
			}
			return true, fmt.Sprintf("lost 0, repeated 0, everything committed at the end: %d commit tries failed while the coordinator moved (Kafka fences a dead broker after broker.session.timeout.ms, 9 s), then the first try after the cluster named the new coordinator went through (kgo's retry backoff grows to 5 s)", r.Failed)
		},
	},
}

// startAt25 starts every cell's consumer with setting and returns once each
// has processed 25 records: the moment the outage scenarios strike.
func startAt25(ctx context.Context, cells []*cell, setting string, timeout time.Duration) ([]*proc.Proc, error) {
	procs := make([]*proc.Proc, len(cells))
	for i, c := range cells {
		p, err := c.start(setting)
		if err != nil {
			return nil, err
		}
		procs[i] = p
	}
	for i, p := range procs {
		if !waitFor(ctx, p, timeout, "[25 this run") {
			return nil, fmt.Errorf("%s never reached 25 records: %s", cells[i].consumer.Binary, p.Tail(3))
		}
	}
	return procs, nil
}

// newGroup plays a new group with a backlog, starting at reset.
func newGroup(reset string) func(ctx context.Context, l *lab, cells []*cell) error {
	return func(ctx context.Context, l *lab, cells []*cell) error {
		return each(cells, func(c *cell) error {
			if err := c.fresh(ctx, 3, 30); err != nil {
				return err
			}
			p, err := c.start("RESET="+reset, "IDLE_EXIT=2s")
			if err != nil {
				return err
			}
			// Nothing new is produced before kgo knows where each
			// partition starts (latest: the end as it is then), or the new
			// orders could be taken for backlog.
			if reset == "latest" {
				if err := p.WaitPartitions(ctx, "reading p", 3, 30*time.Second); err != nil {
					return err
				}
			} else if !waitFor(ctx, p, 30*time.Second, "assigned") {
				return fmt.Errorf("never assigned: %s", p.Tail(3))
			}
			if err := c.seed(ctx, 12); err != nil {
				return err
			}
			return c.expect(ctx, p, 0)
		})
	}
}

// atLeastOnce judges a sequence of runs, each starting where the previous
// one's group commit left off: nothing lost, the repeats exactly what the
// runs had processed past the committed offset when they ended, and, for a
// strategy bounded by its batch, no run leaving more than bound behind.
func atLeastOnce(s Consumer, r Result, bound int) (bool, string) {
	switch {
	case r.Lost != 0:
		return false, fmt.Sprintf("lost %d", r.Lost)
	case r.Window < 0:
		return false, "runs overlapped: no window to compare with"
	case r.Duplicates != r.Window:
		return false, fmt.Sprintf("repeated %d, but the runs had left %d processed past the committed offsets", r.Duplicates, r.Window)
	case s.Bounded && r.MaxGap > bound:
		return false, fmt.Sprintf("one run left %d uncommitted, more than the %d the strategy promises", r.MaxGap, bound)
	}
	promise := "auto-commit's window is its timer's, not a batch"
	if s.Bounded {
		promise = fmt.Sprintf("at most %d per run (largest: %d)", bound, r.MaxGap)
	}
	return true, fmt.Sprintf("lost 0; repeated %d = exactly what was processed past the last commit when the runs ended; %s", r.Duplicates, promise)
}

// commitStall is the worker's line when a commit goes through after an outage.
var commitStall = regexp.MustCompile(`the broker is back after ([\d.]+)s.*: a commit went through`)

// commitTrouble says what a run's commits met while the coordinator moved:
// the tries kgo retried inside its commit calls, the calls that returned an
// error to the strategy, how long the commits stalled, and their latency.
func commitTrouble(p *proc.Proc) string {
	inside, failed, stall, stats := 0, 0, "", ""
	lines := p.Lines()
	for _, line := range lines {
		switch {
		case strings.Contains(line, "failed inside kgo"):
			inside++
		case strings.Contains(line, "commit FAILED"):
			failed++
		}
		if m := commitStall.FindStringSubmatch(line); m != nil {
			stall = m[1]
		}
		if i := strings.Index(line, "commit requests"); i >= 0 {
			stats = strings.TrimSpace(line[strings.LastIndex(line[:i], ";")+1:])
		}
	}
	s := fmt.Sprintf("kgo retried %d tries inside its commit calls, %d calls returned an error to the strategy", inside, failed)
	if stall != "" {
		s += "; the commits went through again " + stall + " s after the first failure"
	}
	return s + "; " + stats
}

// waitFor says whether p printed one of s within timeout.
func waitFor(ctx context.Context, p *proc.Proc, timeout time.Duration, s ...string) bool {
	_, ok := p.WaitFor(ctx, timeout, s...)
	return ok
}
