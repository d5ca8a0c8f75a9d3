package e2e

import (
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"offsetlab/internal/processedlog"
)

// output is what `admin count-output` says of the tickets topic.
type output struct {
	committed, unique, duplicates, missing int // the read_committed reader's view
	uncommitted                            int // records a read_uncommitted reader sees
	log                                    counted
	out                                    string
}

var (
	committedLine   = regexp.MustCompile(`(?m)^\S+ \(read_committed\): records=(\d+) unique-orders=(\d+) duplicates=(\d+) missing=(\d+)$`)
	uncommittedLine = regexp.MustCompile(`(?m)^\S+ \(read_uncommitted\): records=(\d+), of them (\d+) from transactions not committed`)
)

func (l *lab) countOutput(log string) output {
	l.t.Helper()
	out := l.admin("count-output", "LOG="+log).output()
	c, u := committedLine.FindStringSubmatch(out), uncommittedLine.FindStringSubmatch(out)
	lines := strings.Split(out, "\n")
	if c == nil || u == nil || len(lines) < 3 || !strings.HasPrefix(lines[0], l.topic+".tickets (read_committed)") {
		l.t.Fatalf("count-output does not start with the read_committed and read_uncommitted lines:\n%s", out)
	}
	o := output{out: out, log: parseCount(l.t, lines[2])}
	o.committed, _ = strconv.Atoi(c[1])
	o.unique, _ = strconv.Atoi(c[2])
	o.duplicates, _ = strconv.Atoi(c[3])
	o.missing, _ = strconv.Atoi(c[4])
	o.uncommitted, _ = strconv.Atoi(u[1])
	return o
}

// The crash recipe: the crash after 10 records falls in the second batch's
// open transaction; the restart fences it (its 5 tickets are aborted) and
// resumes at the first batch's committed offsets. Deliveries repeat, a
// read_committed reader sees every order once.
func TestTransactionalCrashRecipe(t *testing.T) {
	t.Parallel()
	l := newLab(t)
	l.seed(30)
	log := l.path("p.log")
	kv := []string{"LOG=" + log, "WORK_DELAY=50ms", "MAX_POLL_RECORDS=5"}
	crash := l.run(1, "transactional", append(kv, "CRASH=10")...)
	for _, want := range []string{"transaction began for p0@0-4", "committed p0→5  (transaction", "transaction began for p0@5-9",
		"CRASH=10 reached at p0@9", "the batch's transaction stays open"} {
		if n := crash.countLines(want); n != 1 {
			t.Errorf("want one line with %q:\n%s", want, crash.output())
		}
	}
	// Until a restart fences it, the open transaction holds read_committed
	// readers back: they see the first batch's tickets only.
	o := l.countOutput(log)
	if o.committed != 5 || o.uncommitted != 10 || !strings.Contains(o.out, ": an open transaction holds read_committed readers at offset") {
		t.Errorf("after the crash, want 5 committed tickets, 10 written, and readers held by the open transaction:\n%s", o.out)
	}
	l.run(0, "transactional", append(kv, "IDLE_EXIT=1s")...)
	o = l.countOutput(log)
	if o.committed != 30 || o.unique != 30 || o.duplicates != 0 || o.missing != 0 {
		t.Errorf("want 30 committed tickets, one per order:\n%s", o.out)
	}
	if o.uncommitted != 35 || o.log.total != 35 || o.log.duplicates != 5 || strings.Contains(o.out, "open transaction") {
		t.Errorf("want the crashed batch's 5 tickets aborted (35 in the log, 35 for read_uncommitted), no transaction open:\n%s", o.out)
	}
}

// A copy SIGKILLed 20 times at random moments, then a run to the end: a
// read_committed reader sees each order exactly once, and kcat reading with
// isolation.level=read_committed agrees.
func TestTransactionalSurvivesSIGKILLs(t *testing.T) {
	t.Parallel()
	l := newLab(t)
	const orders = 200
	l.seed(orders)
	log := l.path("p.log")
	const kills = 20
	midWork, before := 0, 0
	for i := range kills {
		p := l.start("transactional", "LOG="+log, "WORK_DELAY=50ms")
		killMidWork(p)
		if code := p.wait(10 * time.Second); code != 128+int(syscall.SIGKILL) {
			t.Fatalf("kill %d: exit %d, want the SIGKILL's:\n%s", i, code, p.output())
		}
		if n := lineCount(l, log); n > before {
			midWork, before = midWork+1, n
		}
	}
	if midWork < kills/2 || before >= orders {
		t.Errorf("%d of %d kills came after some work, %d of %d orders delivered during them", midWork, kills, before, orders)
	}
	l.run(0, "transactional", "LOG="+log, "IDLE_EXIT=1s", "WORK_DELAY=1ms")
	o := l.countOutput(log)
	if o.committed != orders || o.unique != orders || o.duplicates != 0 || o.missing != 0 {
		t.Errorf("after %d SIGKILLs, want each order exactly once for read_committed:\n%s", kills, o.out)
	}
	t.Logf("%d SIGKILLs (%d mid-work): %d deliveries, %d repeated; read_uncommitted sees %d tickets, read_committed %d",
		kills, midWork, o.log.total, o.log.duplicates, o.uncommitted, o.committed)

	// Independent readers agree, and show that what a reader sees depends
	// on its isolation level's default: kcat (librdkafka) reads committed
	// unless told otherwise, Kafka's own Java consumer (and kgo) reads
	// uncommitted, aborted tickets included.
	kcat, err := exec.LookPath("kcat")
	if err != nil {
		requireTool(t, "kcat is not installed (Debian package kcat)")
		return
	}
	for _, tc := range []struct {
		level string
		want  int
	}{{"", o.committed}, {"read_committed", o.committed}, {"read_uncommitted", o.uncommitted}} {
		args := []string{"-b", l.brokers, "-C", "-t", l.topic + ".tickets", "-e", "-q", "-f", `%k\n`}
		if tc.level != "" {
			args = append(args, "-X", "isolation.level="+tc.level)
		}
		out, err := exec.Command(kcat, args...).CombinedOutput()
		if err != nil {
			t.Fatalf("kcat: %v\n%s", err, out)
		}
		if n := len(strings.Fields(string(out))); n != tc.want {
			t.Errorf("kcat with isolation.level=%q read %d tickets, the lab counted %d", tc.level, n, tc.want)
		}
	}
	if !kafkaJarsReady() {
		requireTool(t, "Kafka's jars are not cached (scripts/jvm-kafka.sh jars)")
		return
	}
	// It stops once it has read as many as read_uncommitted counted; a
	// reader of committed tickets only would find fewer, and time out.
	cmd := exec.Command(filepath.Join(root, "scripts", "jvm-kafka.sh"), "tool", "org.apache.kafka.tools.consumer.ConsoleConsumer",
		"--bootstrap-server", l.brokers, "--topic", l.topic+".tickets", "--from-beginning", "--max-messages", strconv.Itoa(o.uncommitted), "--timeout-ms", "60000",
		"--formatter-property", "print.key=true", "--formatter-property", "print.value=false")
	cmd.Env = cleanEnv()
	out, _ := cmd.CombinedOutput() // exit 1 after a timeout, having printed what it read
	if n := len(regexp.MustCompile(`(?m)^order-\d+$`).FindAllString(string(out), -1)); n != o.uncommitted {
		t.Errorf("Kafka's console consumer with its defaults read %d tickets, want the read_uncommitted count %d:\n%s", n, o.uncommitted, out)
	}
}

// lineCount is how many records a processed log holds (0 before it exists).
func lineCount(l *lab, log string) int {
	if _, err := os.Stat(log); err != nil {
		return 0
	}
	return len(l.readLog(log))
}

// A second copy joins mid-run: the rebalance aborts or lets finish the
// transactions in flight, and read_committed still sees each order once.
func TestTransactionalSecondCopyJoins(t *testing.T) {
	t.Parallel()
	l := newLab(t)
	l.seed(60)
	log1, log2 := l.path("p1.log"), l.path("p2.log")
	one := l.start("transactional", "LOG="+log1, "WORK_DELAY=50ms", "IDLE_EXIT=2s")
	one.waitFor("[10 this run]", 30*time.Second)
	two := l.start("transactional", "INSTANCE=2", "LOG="+log2, "WORK_DELAY=50ms", "IDLE_EXIT=2s")
	if code := one.wait(2 * time.Minute); code != 0 {
		t.Fatalf("copy 1 exit %d:\n%s", code, one.output())
	}
	if code := two.wait(2 * time.Minute); code != 0 {
		t.Fatalf("copy 2 exit %d:\n%s", code, two.output())
	}
	if two.countLines("processed p") == 0 {
		t.Errorf("copy 2 got no records:\n%s", two.output())
	}
	var all []byte
	for _, e := range append(l.readLog(log1), l.readLog(log2)...) {
		all = processedlog.Format(all, e)
	}
	joined := l.path("all.log")
	if err := os.WriteFile(joined, all, 0o644); err != nil {
		t.Fatal(err)
	}
	o := l.countOutput(joined)
	if o.committed != 60 || o.unique != 60 || o.duplicates != 0 || o.missing != 0 {
		t.Errorf("with a second copy joining, want each order once:\n%s", o.out)
	}
}

// A run SIGKILLed mid-transaction and never restarted: its open transaction
// holds read_committed readers at its first ticket until the broker aborts
// it, TRANSACTION_TIMEOUT after the transaction's first record (Kafka looks
// for such transactions every 10 s, the embedded broker keeps a timer). The
// aborted tickets never become visible to them.
func TestTransactionalTimeoutAbortsAKilledRun(t *testing.T) {
	t.Parallel()
	l := newLab(t)
	l.seed(30)
	log := l.path("p.log")
	// 10 s: the count right after the kill must come before the broker
	// aborts the transaction, however busy the machine (a count takes a
	// second or two under load).
	p := l.start("transactional", "LOG="+log, "WORK_DELAY=50ms", "TRANSACTION_TIMEOUT=10s")
	p.waitFor("[7 this run]", 30*time.Second)
	p.signal(syscall.SIGKILL)
	killed := time.Now()
	p.wait(10 * time.Second)
	// The kill may fall between a record's log line and its ticket.
	delivered := lineCount(l, log)
	written := func(o output) bool { return o.uncommitted == delivered || o.uncommitted == delivered-1 }
	o := l.countOutput(log)
	if o.committed != 5 || !written(o) || !strings.Contains(o.out, ": an open transaction holds read_committed readers at offset") {
		t.Fatalf("right after the kill, want the first batch's 5 tickets committed, a ticket per delivery (%d) written, readers held by the open transaction:\n%s", delivered, o.out)
	}
	for strings.Contains(o.out, "open transaction") {
		if time.Since(killed) > 90*time.Second {
			t.Fatalf("the broker has not aborted the killed run's transaction %v after the kill (TRANSACTION_TIMEOUT=10s):\n%s", time.Since(killed).Round(time.Second), o.out)
		}
		time.Sleep(500 * time.Millisecond)
		o = l.countOutput(log)
	}
	t.Logf("the broker aborted the killed run's transaction %.1f s after the kill (TRANSACTION_TIMEOUT=10s)", time.Since(killed).Seconds())
	if o.committed != 5 || !written(o) || o.missing != 25 {
		t.Errorf("the aborted tickets must stay invisible to read_committed readers (5 committed, 25 missing, %d written):\n%s", delivered, o.out)
	}
}

// Killed with little work per record, a run often dies inside End: after its
// TxnOffsetCommit, before its EndTxn. Its group then has offsets pending in
// an open transaction, and a restart asking where to resume (kgo always asks
// for stable offsets, KIP-447) gets UNSTABLE_OFFSET_COMMIT until that
// transaction ends. Unless the restart registers its transactional id first
// (which aborts the transaction), that is the transaction timeout: on Apache
// Kafka the lab's restarts used to sit idle 40 s or more. Every restart here
// must reach a record long before the timeout (60 s here) could end it.
func TestTransactionalRestartDoesNotWaitForAKilledTransaction(t *testing.T) {
	t.Parallel()
	l := newLab(t)
	// At 1 ms of work per record, End is a large part of each batch on
	// Kafka; 10000 orders outlast the twelve runs on either broker.
	l.seed(10000)
	log := l.path("p.log")
	for i := range 12 {
		p := l.start("transactional", "LOG="+log, "WORK_DELAY=1ms", "TRANSACTION_TIMEOUT=60s")
		p.waitFor("first record", 20*time.Second)
		// After its first committed transaction (how long that takes
		// depends on the broker and the machine's load), at a random
		// moment of the ones after it, often inside End.
		p.waitFor("(transaction: ", 20*time.Second)
		time.Sleep(time.Duration(rand.IntN(250)) * time.Millisecond)
		p.signal(syscall.SIGKILL)
		if code := p.wait(10 * time.Second); code != 128+int(syscall.SIGKILL) {
			t.Fatalf("kill %d: exit %d, want the SIGKILL's:\n%s", i, code, p.output())
		}
	}
	o := l.countOutput(log)
	if o.duplicates != 0 || o.committed == 0 {
		t.Errorf("after 12 SIGKILLs, want committed tickets, none twice:\n%s", o.out)
	}
	t.Logf("12 SIGKILLs at WORK_DELAY=1ms: %d deliveries, %d committed tickets, %d written", o.log.total, o.committed, o.uncommitted)
}
