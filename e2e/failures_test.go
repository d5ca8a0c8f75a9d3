package e2e

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"offsetlab/internal/tally"
)

// When commits fail: broker outages, faults injected into the embedded
// broker, and the promises each strategy keeps through them.

var strategies = []string{"auto-commit", "manual-sync", "manual-async"}

// newEmbedded is a broker of the test's own that is always the embedded one:
// faults are a feature of the embedded broker, whatever broker the suite
// runs against.
func newEmbedded(t *testing.T) *embedded {
	t.Helper()
	e := &embedded{data: t.TempDir(), port: freePort()}
	if err := e.start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = e.stopWith(syscall.SIGKILL) })
	return e
}

// fault runs `broker fault-commit|fault-clear|faults` against b and returns
// its output; wantOK says whether it must succeed.
func fault(t *testing.T, b *embedded, wantOK bool, command string, kv ...string) string {
	t.Helper()
	cmd := exec.Command(filepath.Join(binDir, "broker"), command)
	cmd.Env = cleanEnv(append([]string{"BROKERS=" + b.address(), "BROKER_DATA=" + b.data}, kv...)...)
	out, err := cmd.CombinedOutput()
	if (err == nil) != wantOK {
		t.Fatalf("broker %s %v: err %v, want ok=%v:\n%s", command, kv, err, wantOK, out)
	}
	return string(out)
}

// perPartitionDuplicates is how many records of each partition were processed
// more than once.
func perPartitionDuplicates(r tally.Result) map[int32]int {
	out := map[int32]int{}
	for _, p := range r.Partitions {
		out[p.ID] = len(p.Duplicated)
	}
	return out
}

// The broker process is SIGKILLed in the middle of a run and started again on
// the same data. Every consumer waits for it and goes on to its normal end:
// nothing lost; manual-sync and manual-async repeat at most one batch per
// partition (they re-commit, on rejoining, what they processed while the
// broker was away); auto-commit repeats what it processed since its last
// successful commit, which is measured and logged, not bounded.
func TestBrokerRestartMidRun(t *testing.T) {
	t.Parallel()
	b := newRestartable(t)
	const records, batch = 150, 5
	type run struct {
		l   *lab
		log string
		p   *proc
	}
	runs := map[string]*run{}
	for _, bin := range strategies {
		l := newLab(t)
		l.brokers = b.address()
		l.seed(records)
		runs[bin] = &run{l: l, log: l.path("p.log")}
	}
	// All three start together once every topic is seeded (on Kafka a seed
	// takes a second or more), so that each is mid-run when the broker dies.
	for _, bin := range strategies {
		r := runs[bin]
		// The idle timer (2s) is shorter than the outage: a run that counted
		// the outage as idle time would stop early and leave records behind.
		r.p = r.l.start(bin, "LOG="+r.log, "WORK_DELAY=20ms", "MAX_POLL_RECORDS=5", "COMMIT_EVERY=200ms", "IDLE_EXIT=2s")
	}
	for _, r := range runs {
		r.p.waitFor("[25 this run]", 60*time.Second)
	}
	if err := b.stopWith(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	down := time.Now()
	time.Sleep(3 * time.Second)
	if err := b.start(); err != nil {
		t.Fatal(err)
	}
	t.Logf("broker down for %s", time.Since(down).Round(100*time.Millisecond))

	for _, bin := range strategies {
		r := runs[bin]
		if code := r.p.wait(3 * time.Minute); code != 0 {
			t.Fatalf("%s: exit %d, want a normal end after the outage:\n%s", bin, code, r.p.output())
		}
		out := r.p.output()
		for _, want := range []string{"lost the broker", "the broker is back after", "IDLE_EXIT"} {
			if !strings.Contains(out, want) {
				t.Errorf("%s: no %q line:\n%s", bin, want, out)
			}
		}
		if n := strings.Count(out, "lost the broker"); n > 3 {
			t.Errorf("%s: %d 'lost the broker' lines for one outage, want one line per outage:\n%s", bin, n, out)
		}
		// The first run itself finished the topic: it waited for the broker
		// instead of counting the outage as idle time.
		if c := r.l.count(r.log); c.unique != records || c.lost != 0 {
			t.Fatalf("%s: the run through the outage ended with unique=%d lost=%d, want every record:\n%s\n%s", bin, c.unique, c.lost, c.out, out)
		}
		r.l.run(0, bin, "LOG="+r.log, "WORK_DELAY=0", "IDLE_EXIT=1s")
		c := r.l.count(r.log)
		if c.lost != 0 || c.unique != records {
			t.Fatalf("%s: want lost=0 unique=%d, got\n%s", bin, records, c.out)
		}
		dups := perPartitionDuplicates(tally.Count(r.l.readLog(r.log), nil))
		if bin != "auto-commit" {
			for p, n := range dups {
				if n > batch {
					t.Errorf("%s: p%d repeated %d records, want at most one batch (%d):\n%s\n%s", bin, p, n, batch, c.out, out)
				}
			}
		}
		t.Logf("%s: broker SIGKILLed after 25 records and restarted: duplicates %d %v, lost 0", bin, c.duplicates, dups)
	}
}

// Each kind of failed commit, injected by the embedded broker into the first
// two commits of a run, and what each strategy does about it. Coordinator
// errors never reach the code: kgo retries them inside the commit call (the
// lab prints each try). The others reach it: manual-sync tries again until
// the commit succeeds, the others let the next commit cover it. Nothing is
// lost or repeated in any of them, and the broker's own count says each
// fault answered exactly two commits.
func TestEachFaultKind(t *testing.T) {
	t.Parallel()
	b := newEmbedded(t)
	tests := []struct {
		err string
		// insideKgo: kgo retries it within one call; the code never sees it.
		insideKgo bool
	}{
		{"COORDINATOR_NOT_AVAILABLE", true},
		{"NOT_COORDINATOR", true},
		{"REBALANCE_IN_PROGRESS", false},
		{"REQUEST_TIMED_OUT", false},
		{"UNKNOWN_MEMBER_ID", false},
	}
	for _, tt := range tests {
		for _, bin := range strategies {
			t.Run(tt.err+"/"+bin, func(t *testing.T) {
				// Each fault is its own group's: the cells run side by side.
				t.Parallel()
				l := newLab(t)
				l.brokers = b.address()
				l.seed(30)
				fault(t, b, true, "fault-commit", "ERR="+tt.err, "COUNT=2", "GROUP="+l.group)
				log := l.path("p.log")
				p := l.run(0, bin, "LOG="+log, "WORK_DELAY=50ms", "COMMIT_EVERY=300ms", "IDLE_EXIT=1s")
				out := p.output()
				inside, failed := strings.Count(out, "failed inside kgo: "+tt.err), strings.Count(out, "commit FAILED")
				if tt.insideKgo && (inside != 2 || failed != 0) {
					t.Fatalf("want 2 tries retried inside kgo and no failed commit call, got %d and %d:\n%s", inside, failed, out)
				}
				if !tt.insideKgo && (inside != 0 || failed < 2 || !strings.Contains(out, "commit FAILED") || !strings.Contains(out, tt.err)) {
					t.Fatalf("want the commit calls to fail with %s (2 at least), got %d inside kgo, %d failed:\n%s", tt.err, inside, failed, out)
				}
				// manual-sync tries again; after REQUEST_TIMED_OUT the broker
				// already has the offsets, which the next try finds.
				again := "(batch, try 2)"
				if tt.err == "REQUEST_TIMED_OUT" {
					again = "nothing left to commit"
				}
				if bin == "manual-sync" && !tt.insideKgo && !strings.Contains(out, again) {
					t.Fatalf("manual-sync must try its commit again (%q):\n%s", again, out)
				}
				if tt.err == "REQUEST_TIMED_OUT" && !strings.Contains(out, "(timed-out: answered REQUEST_TIMED_OUT, yet the broker has it") {
					t.Fatalf("a timed-out commit the broker applied must be shown as applied:\n%s", out)
				}
				if c := l.count(log); c.total != 30 || c.lost != 0 || c.duplicates != 0 {
					t.Fatalf("want every record once, got\n%s", c.out)
				}
				if committed := l.committed(); sum(committed) != 30 {
					t.Fatalf("want everything committed at the end, got %v", committed)
				}
				list := fault(t, b, true, "faults")
				if !regexp.MustCompile(`of group ` + regexp.QuoteMeta(l.group) + `: fail with ` + tt.err + `; affected 2 of 2`).MatchString(list) {
					t.Fatalf("the broker's list must show the fault answered 2 of 2:\n%s", list)
				}
			})
		}
	}
}

// An error that waiting cannot cure: manual-sync stops (exit 2, saying so)
// instead of retrying forever, committing nothing past what it had.
func TestCommitRefusedForGood(t *testing.T) {
	t.Parallel()
	b := newEmbedded(t)
	l := newLab(t)
	l.brokers = b.address()
	l.seed(30)
	fault(t, b, true, "fault-commit", "ERR=GROUP_AUTHORIZATION_FAILED", "COUNT=all", "GROUP="+l.group)
	p := l.run(2, "manual-sync", "LOG="+l.path("p.log"), "WORK_DELAY=10ms")
	if !strings.Contains(p.output(), "refuses this commit for good") {
		t.Fatalf("no explanation:\n%s", p.output())
	}
	fault(t, b, true, "fault-clear")
	if c := l.committed(); len(c) != 0 {
		t.Fatalf("nothing may be committed, got %v", c)
	}
}

// The lesson's scenario: the last good commit is at 30, commits fail from
// then on while processing goes on to 50, and the consumer crashes. A
// strategy whose failed commits are left to a later commit (auto-commit's
// timer, manual-async's marks) repeats 30-49 after the restart. manual-sync
// does not go on processing while its commit fails: it repeats at most the
// batch in hand.
func TestLessonCommitFailureScenario(t *testing.T) {
	t.Parallel()
	b := newEmbedded(t)
	for _, bin := range strategies {
		t.Run(bin, func(t *testing.T) {
			l := newLab(t)
			l.brokers = b.address()
			l.admin("topic-create", "PARTITIONS=1")
			l.run(0, "seed", "SEED_MESSAGES=30")
			log := l.path("p.log")
			l.run(0, bin, "LOG="+log, "WORK_DELAY=0", "IDLE_EXIT=1s")
			if c := l.committed(); c[0] != 30 {
				t.Fatalf("the first run must commit 30, got %v", c)
			}
			l.run(0, "seed", "SEED_MESSAGES=20")
			fault(t, b, true, "fault-commit", "ERR=REBALANCE_IN_PROGRESS", "COUNT=all", "GROUP="+l.group)

			p := l.start(bin, "LOG="+log, "WORK_DELAY=50ms", "COMMIT_EVERY=200ms", "CRASH=20")
			if bin == "manual-sync" {
				p.waitFor("(batch, try 3)", 30*time.Second)
				if n := len(l.readLog(log)); n != 35 {
					t.Fatalf("manual-sync must stop processing while its commit fails: %d processed, want 35", n)
				}
				fault(t, b, true, "fault-clear")
			}
			if code := p.wait(time.Minute); code != 1 {
				t.Fatalf("exit %d, want the crash:\n%s", code, p.output())
			}
			fault(t, b, true, "fault-clear")
			committed := l.committed()[0]
			l.run(0, bin, "LOG="+log, "WORK_DELAY=0", "IDLE_EXIT=1s")
			got := duplicated(tally.Count(l.readLog(log), nil))[0]
			switch bin {
			case "manual-sync":
				if committed != 45 || fmt.Sprint(got) != "[45 46 47 48 49]" {
					t.Fatalf("manual-sync: committed %d at the crash, repeated %v; want 45 and 45-49", committed, got)
				}
			default:
				if committed != 30 || len(got) != 20 || got[0] != 30 || got[19] != 49 {
					t.Fatalf("%s: committed %d at the crash, repeated %v; want 30 and 30-49", bin, committed, got)
				}
			}
			t.Logf("%s: commits failing from 30, crash after 20: committed %d, repeated %s", bin, committed, tally.Ranges(got))
		})
	}
}

// A committed offset never moves backwards, whatever the commits race with:
// with every commit answered late and some failing, the group's committed
// offsets, sampled from the broker every 20ms, and every commit the consumer
// reports, only ever go up. (kgo sends a commit only after the previous one
// was answered, so the reordering of Java's commitAsync cannot happen.)
func TestCommittedOffsetsNeverMoveBackwards(t *testing.T) {
	t.Parallel()
	b := newEmbedded(t)
	for _, bin := range strategies {
		t.Run(bin, func(t *testing.T) {
			l := newLab(t)
			l.brokers = b.address()
			l.seed(60)
			fault(t, b, true, "fault-commit", "DELAY=150ms", "COUNT=all", "GROUP="+l.group)
			fault(t, b, true, "fault-commit", "ERR=REQUEST_TIMED_OUT", "COUNT=3", "GROUP="+l.group)

			adm := l.adm()
			ctx, cancel := context.WithCancel(context.Background())
			var mu sync.Mutex
			var samples []map[int32]int64
			done := make(chan struct{})
			go func() {
				defer close(done)
				for ctx.Err() == nil {
					if c, err := adm.Committed(ctx, l.group, l.topic); err == nil {
						mu.Lock()
						samples = append(samples, c)
						mu.Unlock()
					}
					time.Sleep(20 * time.Millisecond)
				}
			}()
			p := l.run(0, bin, "LOG="+l.path("p.log"), "WORK_DELAY=10ms", "COMMIT_EVERY=100ms", "IDLE_EXIT=1s")
			cancel()
			<-done
			fault(t, b, true, "fault-clear")

			last := map[int32]int64{}
			for i, s := range samples {
				for p, o := range s {
					if o < last[p] {
						t.Fatalf("sample %d: p%d went back from %d to %d", i, p, last[p], o)
					}
					last[p] = o
				}
			}
			if sum(last) != 60 {
				t.Fatalf("the last sample %v should have everything committed", last)
			}
			reported := map[int32]int64{}
			commitLine := regexp.MustCompile(`p(\d+)→(\d+)`)
			lines := 0
			for _, line := range strings.Split(p.output(), "\n") {
				if !strings.Contains(line, "| committed ") {
					continue
				}
				lines++
				if strings.Contains(line, "BACKWARDS") {
					t.Fatalf("a commit went backwards: %s", line)
				}
				for _, m := range commitLine.FindAllStringSubmatch(line, -1) {
					pt, _ := strconv.Atoi(m[1])
					o, _ := strconv.ParseInt(m[2], 10, 64)
					if o < reported[int32(pt)] {
						t.Fatalf("reported commits went back on p%d: %s", pt, line)
					}
					reported[int32(pt)] = o
				}
			}
			t.Logf("%s: %d broker samples and %d commit lines, none backwards", bin, len(samples), lines)
		})
	}
}

// Fault settings are checked and named; with no broker running the fault
// commands say so.
func TestFaultCommandErrors(t *testing.T) {
	t.Parallel()
	b := newEmbedded(t)
	tests := []struct {
		kv   []string
		want string
	}{
		{[]string{"ERR=BOGUS"}, `ERR (-err) = "BOGUS": not a Kafka error name`},
		{[]string{"ERR=REBALANCE_IN_PROGRESS", "COUNT=zero"}, `COUNT (-count) = "zero"`},
		{[]string{"DELAY=1h"}, `DELAY (-delay) = "1h"`},
		{nil, "say what the commits get"},
	}
	for _, tt := range tests {
		out := fault(t, b, false, "fault-commit", tt.kv...)
		if !strings.Contains(out, tt.want) {
			t.Errorf("%v: want %q in:\n%s", tt.kv, tt.want, out)
		}
	}
	if out := fault(t, b, true, "faults"); !strings.Contains(out, "no faults") {
		t.Errorf("a refused fault must not be installed:\n%s", out)
	}

	none := &embedded{data: t.TempDir(), port: freePort()}
	if out := fault(t, none, false, "faults"); !strings.Contains(out, "no embedded broker running") {
		t.Errorf("want a clear message with no broker:\n%s", out)
	}
	// A killed broker leaves its control file behind; the commands still say
	// there is no broker.
	_ = b.stopWith(syscall.SIGKILL)
	if out := fault(t, b, false, "fault-clear"); !strings.Contains(out, "no embedded broker running") {
		t.Errorf("want a clear message after the broker was killed:\n%s", out)
	}
}

// Every group command waits for the group coordinator of a broker that has
// just started (real Kafka answers COORDINATOR_NOT_AVAILABLE until its
// __consumer_offsets topic is there).
func TestGroupCommandsRightAfterBrokerStart(t *testing.T) {
	t.Parallel()
	b := newRestartable(t)
	l := newLab(t)
	l.brokers = b.address()
	l.seed(3)
	for _, cmd := range []string{"group-delete", "groups", "group-describe"} {
		l.admin(cmd)
	}
	l.runArgs(0, "admin", []string{"group-watch"}, "ONCE=1")
}

// A broker killed with SIGKILL is dead even while its process is a zombie
// not yet reaped: starting it again at once works (scripts/broker.sh, and
// scripts/jvm-kafka.sh when the suite runs on Apache Kafka).
func TestBrokerUpRightAfterKill(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	port := freePort()
	script, pidfile := "broker.sh", filepath.Join(dir, "broker.pid")
	env := cleanEnv("LAB_BIN="+binDir, "BROKER_PORT="+strconv.Itoa(port), "BROKER_DATA="+filepath.Join(dir, "data"),
		"BROKER_PIDFILE="+pidfile, "BROKER_LOGFILE="+filepath.Join(dir, "broker.log"))
	if os.Getenv("LAB_TEST_BROKER_KIND") == "jvm-kafka" {
		script, pidfile = "jvm-kafka.sh", filepath.Join(dir, "kafka.pid")
		env = cleanEnv("LAB_BIN="+binDir, "KAFKA_PORT="+strconv.Itoa(port), "KAFKA_CONTROLLER_PORT="+strconv.Itoa(freePort()), "KAFKA_DIR="+dir)
	}
	run := func(arg string) string {
		t.Helper()
		cmd := exec.Command(filepath.Join(root, "scripts", script), arg)
		cmd.Env = env
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("%s %s: %v\n%s", script, arg, err, out)
		}
		return string(out)
	}
	run("up")
	t.Cleanup(func() { run("down") })
	b, err := os.ReadFile(pidfile)
	if err != nil {
		t.Fatal(err)
	}
	pid, _ := strconv.Atoi(strings.TrimSpace(string(b)))
	if err := syscall.Kill(pid, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	// No wait: the killed process may still be a zombie here.
	if out := run("up"); !strings.Contains(out, "answering") {
		t.Fatalf("%s up after kill -9: %s", script, out)
	}
}

// A deleted group stays deleted when the broker restarts: its committed
// offsets do not come back (the embedded broker did not keep a group's
// deletion in its data; group-delete deletes the offsets first, which it
// keeps).
func TestDeletedGroupStaysDeletedAfterBrokerRestart(t *testing.T) {
	t.Parallel()
	b := newRestartable(t)
	l := newLab(t)
	l.brokers = b.address()
	l.seed(30)
	l.run(0, "manual-sync", "LOG="+l.path("p.log"), "WORK_DELAY=0", "IDLE_EXIT=1s")
	if c := l.committed(); sum(c) != 30 {
		t.Fatalf("want 30 committed first, got %v", c)
	}
	l.admin("group-delete")
	if err := b.stopWith(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	if err := b.start(); err != nil {
		t.Fatal(err)
	}
	if c := l.committed(); len(c) != 0 {
		t.Fatalf("after the restart the deleted group has committed offsets again: %v", c)
	}
}

// normalized drops what differs from run to run in a fault command's output:
// fault numbers and clock times.
func normalized(s string) string {
	s = regexp.MustCompile(`fault \d+`).ReplaceAllString(s, "fault N")
	return regexp.MustCompile(`\d\d:\d\d:\d\d`).ReplaceAllString(s, "HH:MM:SS")
}

// The fault targets through make, as docs/failures.md shows them:
// what each prints is on the page, and what run-sync prints is what the page
// says it prints.
func TestFaultsWithMake(t *testing.T) {
	t.Parallel()
	b := newEmbedded(t)
	l := newLab(t)
	env := cleanEnv("BROKERS="+b.address(), "TOPIC="+l.topic, "BROKER_DATA="+b.data, "IDLE_EXIT=1s")
	var pages string
	for _, f := range []string{filepath.Join("docs", "failures.md")} {
		page, err := os.ReadFile(filepath.Join(root, f))
		if err != nil {
			t.Fatal(err)
		}
		pages += normalized(string(page))
	}
	onPage := func(out string) {
		t.Helper()
		for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
			if strings.HasPrefix(line, "building bin/") { // make rebuilt a binary first
				continue
			}
			if !strings.Contains(pages, normalized(line)) {
				t.Errorf("the pages do not show %q", line)
			}
		}
	}
	makeIn(t, l.dir, env, true, "topic-create")
	makeIn(t, l.dir, env, true, "topic-load")

	onPage(makeIn(t, l.dir, env, true, "fault-commit", "ERR=REBALANCE_IN_PROGRESS", "COUNT=2", "GROUP=kitchen-sync"))
	run := makeIn(t, l.dir, env, true, "run-sync")
	for _, want := range []string{"commit FAILED (batch, try 1): REBALANCE_IN_PROGRESS: The group is rebalancing, so a rejoin is needed.; the group moved on: letting this member rejoin first; trying again in 250ms. Nothing more is processed until it succeeds",
		"commit FAILED (batch, try 2): REBALANCE_IN_PROGRESS", "committed p0→5  (batch: CommitRecords after the batch, blocking)"} {
		if !strings.Contains(run, want) {
			t.Errorf("run-sync does not print %q:\n%s", want, run)
		}
	}
	onPage(makeIn(t, l.dir, env, true, "fault-commit", "ERR=COORDINATOR_NOT_AVAILABLE", "COUNT=3"))
	if out := makeIn(t, l.dir, env, true, "group-delete-sync"); !strings.Contains(out, "deleted group kitchen-sync") {
		t.Fatalf("group-delete-sync: %s", out)
	}
	run = makeIn(t, l.dir, env, true, "run-sync")
	if n := strings.Count(run, "failed inside kgo: COORDINATOR_NOT_AVAILABLE: The coordinator is not available.; kgo tries again by itself in"); n != 3 {
		t.Errorf("want 3 tries retried inside kgo, got %d:\n%s", n, run)
	}
	list := makeIn(t, l.dir, env, true, "faults")
	if !strings.Contains(list, "the next 2 OffsetCommit requests of group kitchen-sync: fail with REBALANCE_IN_PROGRESS; affected 2 of 2 so far") {
		t.Errorf("faults:\n%s", list)
	}
	onPage(strings.SplitN(list, "\n", 3)[1]) // the COORDINATOR_NOT_AVAILABLE line the page shows
	makeIn(t, l.dir, env, true, "fault-commit", "DELAY=2s", "COUNT=all")
	onPage(makeIn(t, l.dir, env, true, "fault-clear"))
	bad := makeIn(t, l.dir, env, false, "fault-commit", "ERR=BOGUS")
	if !strings.Contains(pages, `ERR (-err) = "BOGUS": not a Kafka error name: want one such as
COORDINATOR_NOT_AVAILABLE, ...`) || !strings.Contains(bad, `ERR (-err) = "BOGUS": not a Kafka error name: want one such as COORDINATOR_NOT_AVAILABLE, NOT_COORDINATOR`) {
		t.Errorf("fault-commit ERR=BOGUS:\n%s", bad)
	}
}

// docs/failures.md shows the counts the scenario tests pin.
func TestFailuresPageShowsWhatTheTestsCheck(t *testing.T) {
	t.Parallel()
	page, err := os.ReadFile(filepath.Join(root, "docs", "failures.md"))
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range []string{
		// TestLessonCommitFailureScenario: committed 30, 30-49 repeat; sync 45, 45-49.
		"processed-auto.log: total=70 unique-offsets=50 duplicates=20 lost=0",
		"processed-async.log: total=70 unique-offsets=50 duplicates=20 lost=0",
		"p0: 70 lines, 50 unique of offsets 0-49 in the topic; duplicated: 30-49; lost: none",
		"processed-sync.log: total=55 unique-offsets=50 duplicates=5 lost=0",
		"p0: 55 lines, 50 unique of offsets 0-49 in the topic; duplicated: 45-49; lost: none",
		// TestBrokerRestartMidRun: sync and async bounded by one batch per partition.
		"processed-sync.log: total=150 unique-offsets=150 duplicates=0 lost=0",
	} {
		if !strings.Contains(string(page), line) {
			t.Errorf("docs/failures.md lacks %q", line)
		}
	}
}

// A deleted topic is an error waiting cannot cure: the consumer says so and
// stops (exit 2) instead of waiting for it.
func TestTopicDeletedMidRunStops(t *testing.T) {
	t.Parallel()
	l := newLab(t)
	l.seed(30)
	p := l.start("manual-sync", "LOG="+l.path("p.log"), "WORK_DELAY=10ms")
	p.waitFor("[30 this run]", 30*time.Second)
	l.admin("topic-delete")
	if code := p.wait(90 * time.Second); code != 2 {
		t.Fatalf("exit %d, want 2:\n%s", code, p.output())
	}
	if !strings.Contains(p.output(), "was deleted while this run read it") {
		t.Fatalf("no explanation:\n%s", p.output())
	}
}

// SIGUSR1 is a crash now (the live page's button; kill -USR1 PID): exit 1
// after the record in hand, nothing committed on the way out, as CRASH does;
// at once when the run waits for records.
func TestSIGUSR1CrashesNow(t *testing.T) {
	t.Parallel()
	t.Run("mid-run", func(t *testing.T) {
		t.Parallel()
		l := newLab(t)
		l.seed(30)
		p := l.start("manual-sync", "LOG="+l.path("p.log"), "WORK_DELAY=200ms")
		p.waitFor("[7 this run", time.Minute)
		p.signal(syscall.SIGUSR1)
		if code := p.wait(time.Minute); code != 1 {
			t.Fatalf("exit %d after SIGUSR1, want the crash's 1:\n%s", code, p.output())
		}
		line, ok := p.find("SIGUSR1: crash now at p")
		if !ok || !strings.Contains(line, ": exit(1) now, without committing or leaving the group; committed so far: ") {
			t.Fatalf("no crash-now line:\n%s", p.output())
		}
		before := len(l.readLog(l.path("p.log")))
		// What was processed past the last commit is what a restart repeats:
		// the batch in hand, nothing committed on the way out.
		restart := l.run(0, "manual-sync", "LOG="+l.path("p.log"), "WORK_DELAY=0", "IDLE_EXIT=1s")
		want := before - int(resumedFrom(t, restart.output()))
		c := l.count(l.path("p.log"))
		if c.lost != 0 || c.unique != 30 || c.duplicates != want || want < 1 || want > 5 {
			t.Errorf("after a crash now at record %d: want %d repeated (1 to 5: the batch in hand), 0 lost:\n%s", before, want, c.out)
		}
	})
	t.Run("idle", func(t *testing.T) {
		t.Parallel()
		l := newLab(t)
		l.seed(3)
		p := l.start("manual-sync", "LOG="+l.path("p.log"), "WORK_DELAY=0")
		p.waitFor("[3 this run]", time.Minute)
		p.waitFor("committed p", time.Minute)
		p.signal(syscall.SIGUSR1)
		if code := p.wait(time.Minute); code != 1 {
			t.Fatalf("exit %d after SIGUSR1, want the crash's 1:\n%s", code, p.output())
		}
		if _, ok := p.find("SIGUSR1: crash now: exit(1) now"); !ok {
			t.Errorf("no crash-now line without a record in hand:\n%s", p.output())
		}
	})
}
