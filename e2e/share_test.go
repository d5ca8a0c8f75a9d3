package e2e

import (
	"math/rand/v2"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"offsetlab/internal/processedlog"
)

// sharedCount is the headline of `admin count-share`.
type sharedCount struct {
	deliveries, unique, redelivered, archived, lost int
	out                                             string
}

var shareHeadline = regexp.MustCompile(`^share (\S+): deliveries=(\d+) unique=(\d+) redelivered=(\d+) archived=(\d+) lost=(\d+)$`)

func (l *lab) countShare(log string) sharedCount {
	l.t.Helper()
	out := l.admin("count-share", "LOG="+log).output()
	first, _, _ := strings.Cut(out, "\n")
	m := shareHeadline.FindStringSubmatch(first)
	if m == nil || m[1] != l.group {
		l.t.Fatalf("count-share's first line %q is not the headline for %s:\n%s", first, l.group, out)
	}
	n := func(i int) int { v, _ := strconv.Atoi(m[i]); return v }
	return sharedCount{deliveries: n(2), unique: n(3), redelivered: n(4), archived: n(5), lost: n(6), out: out}
}

// The lesson's crash in a share group: what the crashed member processed but
// had not acknowledged comes back, one delivery later; what it acknowledged
// (a batch's answers reach the broker before the next poll) never does.
func TestShareCrashRedeliversWhatWasNotAcknowledged(t *testing.T) {
	t.Parallel()
	l := newLab(t)
	l.seed(30)
	log := l.path("processed-share.log")
	crash := l.run(1, "share", "LOG="+log, "CRASH=12", "WORK_DELAY=20ms", "MAX_POLL_RECORDS=5")
	if _, ok := crash.find("CRASH=12 reached"); !ok {
		t.Fatalf("no crash line:\n%s", crash.output())
	}
	before := l.readLog(log)
	if len(before) != 12 {
		t.Fatalf("the crash run logged %d records, want 12", len(before))
	}
	restart := l.run(0, "share", "LOG="+log, "IDLE_EXIT=2s", "WORK_DELAY=20ms", "MAX_POLL_RECORDS=5")
	took := time.Since(restart.Started())
	after := l.readLog(log)[12:]
	// Batches of 5: the first two were acknowledged, the third was in hand.
	again := map[string]int32{}
	for _, e := range after {
		again[e.Key] = e.Delivery
	}
	for i, e := range before {
		d, ok := again[e.Key]
		switch {
		case i < 10 && ok:
			t.Errorf("%s (p%d@%d) was acknowledged before the crash, yet delivered again (delivery %d)", e.Key, e.Partition, e.Offset, d)
		case i >= 10 && (!ok || d < 2):
			t.Errorf("%s (p%d@%d) was in hand at the crash, unacknowledged: want it delivered again with a delivery count of 2 or more, got %v %d", e.Key, e.Partition, e.Offset, ok, d)
		}
	}
	c := l.countShare(log)
	if c.lost != 0 || c.unique != 30 || c.archived != 0 || c.redelivered != 2 || c.deliveries != 32 {
		t.Fatalf("want deliveries=32 unique=30 redelivered=2 archived=0 lost=0:\n%s\n--- crash:\n%s\n--- restart:\n%s", c.out, crash.output(), restart.output())
	}
	// How long the records the crash left took to come back: from the crash
	// line to the restart's first line of a second delivery (each line
	// starts with the time it was printed).
	crashed, _ := crash.find("CRASH=12 reached")
	back, _ := restart.find(" delivery 2 → ")
	first, _ := restart.find("first record ")
	t.Logf("share crash: unacknowledged records back %s after the crash; %s; whole restart %s\n%s",
		stampOf(t, back).Sub(stampOf(t, crashed)).Round(10*time.Millisecond), strings.TrimSpace(first), took.Round(100*time.Millisecond), c.out)
}

// stampOf is the time a lab binary printed line at (today, to the ms).
func stampOf(t *testing.T, line string) time.Time {
	t.Helper()
	at, err := time.Parse("15:04:05.000", strings.TrimSpace(line)[:12])
	if err != nil {
		t.Fatalf("no time at the start of %q", line)
	}
	return at
}

// A record whose work always fails: released, it comes back until the
// group's delivery limit, then the broker archives it; rejected, it is
// archived at once. The log shows every attempt.
func TestSharePoisonRecord(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		onFail   string
		attempts int // with the broker's default share.delivery.count.limit of 5
	}{
		{"release", 5},
		{"reject", 1},
	} {
		t.Run(tt.onFail, func(t *testing.T) {
			t.Parallel()
			l := newLab(t)
			l.seed(30)
			log := l.path("processed-share.log")
			run := l.run(0, "share", "LOG="+log, "POISON=order-0007", "ON_FAIL="+tt.onFail, "IDLE_EXIT=2s", "WORK_DELAY=10ms")
			if _, ok := run.find("share.delivery.count.limit=5 "); !ok {
				t.Fatalf("the run must print the group's delivery limit (5, the broker's default):\n%s", run.output())
			}
			var attempts []processedlog.Entry
			for _, e := range l.readLog(log) {
				if e.Key == "order-0007" {
					attempts = append(attempts, e)
				}
			}
			if len(attempts) != tt.attempts {
				t.Fatalf("order-0007 was delivered %d times, want %d:\n%s", len(attempts), tt.attempts, run.output())
			}
			for i, e := range attempts {
				if e.Delivery != int32(i+1) || e.Ack != tt.onFail {
					t.Fatalf("attempt %d of order-0007: delivery %d, answer %q; want %d, %q", i+1, e.Delivery, e.Ack, i+1, tt.onFail)
				}
			}
			if tt.onFail == "release" {
				if _, ok := run.find("delivery 5 → release: the work failed (POISON); delivery 5 of the limit 5, so the broker archives it"); !ok {
					t.Errorf("the last release must say the broker archives the record:\n%s", run.output())
				}
			}
			c := l.countShare(log)
			p := attempts[0]
			archived := "p" + strconv.Itoa(int(p.Partition)) + "@" + strconv.Itoa(int(p.Offset))
			if c.archived != 1 || c.lost != 0 || c.unique != 30 || c.deliveries != 29+tt.attempts || !strings.Contains(c.out, ": "+archived+"\n") {
				t.Fatalf("want %s archived, 0 lost, %d deliveries:\n%s", archived, 29+tt.attempts, c.out)
			}
		})
	}
}

// More consumers than partitions: a share group hands the records of one
// partition to several members at once, which a consumer group cannot do.
// The price is order: each copy sees its records in order, but the
// partition's records are done out of order across the copies.
func TestShareTwoCopiesOnOnePartition(t *testing.T) {
	t.Parallel()
	l := newLab(t)
	l.admin("topic-create", "PARTITIONS=1")
	l.run(0, "seed", "SEED_MESSAGES=40")
	log := l.path("processed-share.log")
	one := l.start("share", "LOG="+log, "INSTANCE=1", "WORK_DELAY=100ms", "IDLE_EXIT=3s")
	two := l.start("share", "LOG="+log, "INSTANCE=2", "WORK_DELAY=100ms", "IDLE_EXIT=3s")
	one.waitFor("processed p0@", time.Minute)
	two.waitFor("processed p0@", time.Minute)
	// While both work: one partition, two members holding it.
	if d := l.admin("group-describe").output(); len(regexp.MustCompile(`(?m)^  member \S+ \(epoch \d+\): p0$`).FindAllString(d, -1)) != 2 || !strings.Contains(d, "share group "+l.group+" on "+l.topic+": state Stable") {
		t.Errorf("group-describe must show the share group with both members on p0:\n%s", d)
	}
	if c1, c2 := one.wait(2*time.Minute), two.wait(2*time.Minute); c1 != 0 || c2 != 0 {
		t.Fatalf("exits %d %d\n--- one:\n%s\n--- two:\n%s", c1, c2, one.output(), two.output())
	}
	n1, n2 := one.countLines("processed p0@"), two.countLines("processed p0@")
	if n1 == 0 || n2 == 0 {
		t.Fatalf("both copies must get records of the one partition: %d and %d\n--- one:\n%s\n--- two:\n%s", n1, n2, one.output(), two.output())
	}
	c := l.countShare(log)
	if c.lost != 0 || c.unique != 40 {
		t.Fatalf("want unique=40 lost=0:\n%s", c.out)
	}
	// The log is in the order the work was done: some offset comes after a
	// higher one.
	es, outOfOrder := l.readLog(log), 0
	for i := 1; i < len(es); i++ {
		if es[i].Offset < es[i-1].Offset {
			outOfOrder++
		}
	}
	t.Logf("two copies on one partition: %d and %d records; %d lines of the log come after a higher offset\n%s", n1, n2, outOfOrder, c.out)

	// The same with a consumer group: the partition has one owner, the
	// other copy idles.
	group := "GROUP=" + l.group + "-cg"
	a := l.start("manual-sync", group, "LOG="+l.path("a.log"), "INSTANCE=1", "WORK_DELAY=100ms", "IDLE_EXIT=3s")
	b := l.start("manual-sync", group, "LOG="+l.path("b.log"), "INSTANCE=2", "WORK_DELAY=100ms", "IDLE_EXIT=3s")
	if ca, cb := a.wait(2*time.Minute), b.wait(2*time.Minute); ca != 0 || cb != 0 {
		t.Fatalf("consumer group copies: exits %d %d\n--- a:\n%s\n--- b:\n%s", ca, cb, a.output(), b.output())
	}
	if na, nb := a.countLines("processed p0@"), b.countLines("processed p0@"); min(na, nb) != 0 || na+nb != 40 {
		t.Errorf("a consumer group gives one partition to one member: want 40 and 0, got %d and %d", na, nb)
	}
}

// Random SIGKILLs of share consumers: three copies on one partition, one of
// them killed and started again, over and over. Whatever a killed copy held
// goes to the others; nothing is lost.
func TestShareSIGKILLsLoseNothing(t *testing.T) {
	t.Parallel()
	l := newLab(t)
	l.admin("topic-create", "PARTITIONS=1")
	l.run(0, "seed", "SEED_MESSAGES=300")
	log := l.path("processed-share.log")
	common := []string{"LOG=" + log, "WORK_DELAY=20ms", "MAX_POLL_RECORDS=5"}
	copies := make([]*proc, 3)
	for i := range copies {
		copies[i] = l.start("share", append(common, "INSTANCE="+strconv.Itoa(i+1))...)
	}
	kills := 0
	rng := rand.New(rand.NewPCG(1, 2))
	for kills < 20 {
		time.Sleep(time.Duration(150+rng.IntN(350)) * time.Millisecond)
		i := rng.IntN(len(copies))
		copies[i].signal(syscall.SIGKILL)
		if code := copies[i].wait(10 * time.Second); code != 128+int(syscall.SIGKILL) {
			t.Fatalf("kill %d of copy %d: exit %d\n%s", kills+1, i+1, code, copies[i].output())
		}
		kills++
		copies[i] = l.start("share", append(common, "INSTANCE="+strconv.Itoa(i+1))...)
	}
	for _, p := range copies {
		p.signal(syscall.SIGTERM)
		p.wait(time.Minute)
	}
	// One last copy hands out whatever is left: released by a kill, or
	// never delivered.
	l.run(0, "share", append(common, "IDLE_EXIT=3s")...)
	es := l.readLog(log) // fails on a torn line
	c := l.countShare(log)
	if c.lost != 0 || c.unique != 300 || c.archived != 0 {
		t.Fatalf("after %d SIGKILLs want unique=300 archived=0 lost=0:\n%s", kills, c.out)
	}
	t.Logf("%d SIGKILLs of share consumers: %d lines, %s", kills, len(es), strings.SplitN(c.out, "\n", 2)[0])
}

// Bad input for the new protocols: a wrong value is named, a broker without
// the feature is refused by its own answer within seconds, and a refused
// start consumes nothing and writes no log. A POISON key the topic does not
// have is a warning, not an error.
func TestNewProtocolsBadInput(t *testing.T) {
	t.Parallel()
	l := newLab(t)
	l.seed(10)
	log := l.path("p.log")
	for _, tt := range []struct {
		bin, setting, want string
	}{
		{"manual-sync", "GROUP_PROTOCOL=kip848", "GROUP_PROTOCOL"},
		{"share", "ON_FAIL=retry", "ON_FAIL"},
	} {
		p := l.run(2, tt.bin, "LOG="+log, tt.setting)
		if !strings.Contains(p.output(), tt.want) {
			t.Errorf("%s %s: the message must name %s:\n%s", tt.bin, tt.setting, tt.want, p.output())
		}
	}

	// An older broker: the embedded one answering as Kafka 3.9 would.
	old, err := startBroker(t.TempDir(), freePort(), "BROKER_VERSION=3.9")
	if err != nil {
		t.Fatal(err)
	}
	defer old.stop(syscall.SIGTERM)
	ol := newLab(t)
	ol.brokers = old.addr
	ol.seed(10)
	for _, tt := range []struct {
		bin, setting, want string
	}{
		{"manual-sync", "GROUP_PROTOCOL=consumer", "GROUP_PROTOCOL=consumer: broker 0 answers ConsumerGroupHeartbeat only up to v0, the KIP-848 group protocol"},
		{"share", "ON_FAIL=release", "broker 0 does not answer ShareGroupHeartbeat at all: it has no share groups"},
	} {
		start := time.Now()
		p := ol.run(2, tt.bin, "LOG="+log, tt.setting)
		if took := time.Since(start); took > 5*time.Second || !strings.Contains(p.output(), tt.want) {
			t.Errorf("%s %s on Kafka 3.9: exit 2 within 5 s saying %q; took %s:\n%s", tt.bin, tt.setting, tt.want, took, p.output())
		}
	}
	if _, err := os.Stat(log); !os.IsNotExist(err) {
		t.Errorf("a refused start wrote %s (%v)", log, err)
	}
	if c := ol.committed(); len(c) != 0 {
		t.Errorf("a refused start committed %v", c)
	}

	p := l.run(0, "share", "LOG="+log, "POISON=order-9999", "IDLE_EXIT=1s", "WORK_DELAY=0")
	if _, ok := p.find("warning: POISON=order-9999: no record of " + l.topic + " has that key (10 records, e.g. order-0000"); !ok {
		t.Errorf("an unknown POISON key must be a warning:\n%s", p.output())
	}
	if c := l.countShare(log); c.unique != 10 || c.lost != 0 {
		t.Errorf("after the warning the run goes on: want 10 accepted\n%s", c.out)
	}
}

// docs/after-offsets.md shows what the tests pin: the lines it quotes are
// the ones the tests above and TestCrashThenRecover look for.
func TestAfterOffsetsPageShowsWhatTheTestsCheck(t *testing.T) {
	t.Parallel()
	b, err := os.ReadFile(filepath.Join(root, "docs", "after-offsets.md"))
	if err != nil {
		t.Fatal(err)
	}
	page := string(b)
	for _, line := range []string{
		"processed-sync.log: total=35 unique-offsets=30 duplicates=5 lost=0",
		"the group still holds static member kitchen-sync-1 for the run before this one",
		"protocol consumer (KIP-848: the broker assigns, assignor uniform, group epoch ",
		"share kitchen-share: deliveries=32 unique=30 redelivered=2 archived=0 lost=0",
		"share kitchen-share-poison: deliveries=34 unique=30 redelivered=4 archived=1 lost=0",
		"delivery 5 → release: the work failed (POISON); delivery 5 of the limit 5, so the broker archives it",
		"share kitchen-share-reject: deliveries=30 unique=30 redelivered=0 archived=1 lost=0",
		"broker 0 answers ConsumerGroupHeartbeat only up to v0, the KIP-848 group protocol",
		"broker 0 does not answer ShareGroupHeartbeat at all: it has no share groups",
	} {
		if !strings.Contains(page, line) {
			t.Errorf("docs/after-offsets.md lacks %q", line)
		}
	}
}

// Ctrl+C in a share group: the record in hand is finished and answered, the
// rest of the batch is released unworked, and the member leaves, so a
// restart repeats nothing and waits for no session.
func TestShareCtrlCRepeatsNothing(t *testing.T) {
	t.Parallel()
	l := newLab(t)
	l.seed(30)
	log := l.path("processed-share.log")
	p := l.start("share", "LOG="+log, "WORK_DELAY=100ms")
	p.waitFor("[7 this run]", time.Minute)
	p.signal(syscall.SIGINT)
	if code := p.wait(30 * time.Second); code != 0 {
		t.Fatalf("exit %d after SIGINT:\n%s", code, p.output())
	}
	if _, ok := p.find("unprocessed: the stop came first"); !ok {
		t.Fatalf("the stop must release the rest of the batch unworked:\n%s", p.output())
	}
	l.run(0, "share", "LOG="+log, "IDLE_EXIT=2s", "WORK_DELAY=0")
	if c := l.countShare(log); c.deliveries != 30 || c.unique != 30 || c.lost != 0 {
		t.Fatalf("want deliveries=30 unique=30 lost=0 after a clean stop:\n%s\n--- first run:\n%s", c.out, p.output())
	}
}
