package e2e

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"
)

// Cross-checks with tools that are not the lab's: Kafka's own consumer-groups
// command (from the same Maven jars scripts/jvm-kafka.sh runs) and kcat.
// They run whenever the tools are there; `make test-kafka` and .ci/run set
// LAB_TEST_KAFKA_TOOLS=1, which turns a missing tool into a failure instead
// of a skip.

func requireTool(t *testing.T, why string) {
	t.Helper()
	if os.Getenv("LAB_TEST_KAFKA_TOOLS") == "1" {
		t.Fatalf("LAB_TEST_KAFKA_TOOLS=1 but %s", why)
	}
	t.Skipf("%s (LAB_TEST_KAFKA_TOOLS=1 makes this a failure)", why)
}

// kafkaJarsReady says whether scripts/jvm-kafka.sh has the jars cached.
func kafkaJarsReady() bool {
	cache := os.Getenv("XDG_CACHE_HOME")
	if cache == "" {
		home, _ := os.UserHomeDir()
		cache = filepath.Join(home, ".cache")
	}
	m, _ := filepath.Glob(filepath.Join(cache, "offsets-lab", "kafka-*", "lib", ".complete"))
	return len(m) > 0
}

type offsetsRow struct{ committed, logEnd, lag string }

// kafkaDescribe runs Kafka's ConsumerGroupCommand --describe and returns its rows by partition.
func kafkaDescribe(t *testing.T, l *lab) map[int32]offsetsRow {
	t.Helper()
	cmd := exec.Command(filepath.Join(root, "scripts", "jvm-kafka.sh"), "tool",
		"org.apache.kafka.tools.consumer.group.ConsumerGroupCommand", "--bootstrap-server", l.brokers, "--describe", "--group", l.group)
	cmd.Env = cleanEnv()
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("kafka consumer-groups --describe: %v\n%s", err, out)
	}
	rows := map[int32]offsetsRow{}
	for _, line := range strings.Split(string(out), "\n") {
		f := strings.Fields(line)
		if len(f) >= 6 && f[0] == l.group && f[1] == l.topic {
			p, _ := strconv.Atoi(f[2])
			rows[int32(p)] = offsetsRow{f[3], f[4], f[5]}
		}
	}
	if len(rows) == 0 {
		t.Fatalf("no rows for %s in:\n%s", l.topic, out)
	}
	return rows
}

var labRow = regexp.MustCompile(`(?m)^  p(\d+) +(\S+) +(\d+) +(\d+) +(\d+)$`)

// labDescribe runs the lab's own group-describe.
func labDescribe(t *testing.T, l *lab) (map[int32]offsetsRow, map[int32]string) {
	t.Helper()
	out := l.admin("group-describe").output()
	rows, starts := map[int32]offsetsRow{}, map[int32]string{}
	for _, m := range labRow.FindAllStringSubmatch(out, -1) {
		p, _ := strconv.Atoi(m[1])
		rows[int32(p)] = offsetsRow{m[2], m[4], m[5]}
		starts[int32(p)] = m[3]
	}
	if len(rows) == 0 {
		t.Fatalf("no partition rows in:\n%s", out)
	}
	return rows, starts
}

func TestGroupDescribeAgreesWithKafkaConsumerGroupCommand(t *testing.T) {
	t.Parallel()
	if !kafkaJarsReady() {
		requireTool(t, "the Kafka jars are not cached (scripts/jvm-kafka.sh jars fetches them)")
	}
	l := newLab(t)
	l.seed(30)
	log := l.path("p.log")
	compare := func(when string) {
		t.Helper()
		theirs := kafkaDescribe(t, l)
		ours, starts := labDescribe(t, l)
		if len(theirs) != len(ours) {
			t.Fatalf("%s: kafka shows %d partitions, the lab %d", when, len(theirs), len(ours))
		}
		for p, k := range theirs {
			o := ours[p]
			if o.committed != k.committed || o.logEnd != k.logEnd {
				t.Errorf("%s p%d: kafka committed=%s log-end=%s, lab committed=%s log-end=%s", when, p, k.committed, k.logEnd, o.committed, o.logEnd)
			}
			// With nothing committed Kafka shows lag "-"; the lab counts from
			// log start, where its consumers begin (README: "lag").
			wantLag := k.lag
			if k.committed == "-" {
				le, _ := strconv.Atoi(k.logEnd)
				ls, _ := strconv.Atoi(starts[p])
				wantLag = strconv.Itoa(le - ls)
			}
			if o.lag != wantLag {
				t.Errorf("%s p%d: kafka lag %s, lab lag %s (want %s)", when, p, k.lag, o.lag, wantLag)
			}
		}
		t.Logf("%s: kafka %v, lab %v", when, theirs, ours)
	}

	l.run(1, "manual-sync", "LOG="+log, "CRASH=7", "WORK_DELAY=10ms")
	compare("after the crash")
	l.run(0, "manual-sync", "LOG="+log, "IDLE_EXIT=1s", "WORK_DELAY=10ms")
	compare("after the recovery")
}

func TestKcatReadsWhatSeedWrote(t *testing.T) {
	t.Parallel()
	kcat, err := exec.LookPath("kcat")
	if err != nil {
		requireTool(t, "kcat is not installed (Debian package kcat)")
	}
	l := newLab(t)
	l.seed(30)
	log := l.path("p.log")
	l.run(0, "manual-sync", "LOG="+log, "IDLE_EXIT=1s", "WORK_DELAY=1ms")

	cmd := exec.Command(kcat, "-b", l.brokers, "-C", "-t", l.topic, "-e", "-q", "-f", `%p,%o,%k,%s\n`)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("kcat: %v\n%s", err, out)
	}
	theirs := strings.Split(strings.TrimSpace(string(out)), "\n")
	b, err := os.ReadFile(log)
	if err != nil {
		t.Fatal(err)
	}
	ours := strings.Split(strings.TrimSpace(string(b)), "\n")
	sort.Strings(theirs)
	sort.Strings(ours)
	if strings.Join(theirs, "\n") != strings.Join(ours, "\n") {
		t.Fatalf("kcat read:\n%s\n\nthe lab processed:\n%s", strings.Join(theirs, "\n"), strings.Join(ours, "\n"))
	}
	// seed's promise: order i in partition i mod 3, at offset i div 3.
	for _, line := range theirs {
		var p, o, i int
		if _, err := fmt.Sscanf(line, "%d,%d,order-%d,", &p, &o, &i); err != nil || p != i%3 || o != i/3 {
			t.Errorf("kcat line %q: order %d should be at p%d@%d", line, i, i%3, i/3)
		}
	}
	if len(theirs) != 30 {
		t.Fatalf("kcat read %d records, want 30", len(theirs))
	}
}
