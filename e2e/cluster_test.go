package e2e

import (
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

	labproc "offsetlab/internal/proc"
)

// A class on one cluster: two learners run the same commands with the same
// TOPIC and GROUP, and LEARNER keeps their topics, groups and counts apart.
func TestLearnersShareOneCluster(t *testing.T) {
	t.Parallel()
	l := newLab(t)
	orders := map[string]int{"alice": 10, "bob": 20}
	for _, who := range []string{"alice", "bob"} {
		me := "LEARNER=" + who
		l.admin("topic-create", me)
		l.run(0, "seed", me, "SEED_MESSAGES="+strconv.Itoa(orders[who]))
		run := l.run(0, "manual-sync", me, "LOG="+l.path(who+".log"), "IDLE_EXIT=1s", "WORK_DELAY=0")
		if want := fmt.Sprintf("group %s-%s as static member %s-%s-1, topic %s.%s on", l.group, who, l.group, who, l.topic, who); !strings.Contains(run.output(), want) {
			t.Errorf("%s's run does not say %q:\n%s", who, want, run.output())
		}
	}
	for _, who := range []string{"alice", "bob"} {
		c := parseCount(t, l.runArgs(0, "admin", []string{"count"}, "LEARNER="+who, "LOG="+l.path(who+".log")).output())
		if c.total != orders[who] || c.unique != orders[who] || c.duplicates != 0 || c.lost != 0 {
			t.Errorf("%s: %+v, want %d orders each once", who, c, orders[who])
		}
	}
	groups := l.admin("groups").output()
	for _, who := range []string{"alice", "bob"} {
		if !regexp.MustCompile(`(?m)^` + regexp.QuoteMeta(l.group+"-"+who) + ` .* ` + regexp.QuoteMeta(l.topic+"."+who) + `$`).MatchString(groups) {
			t.Errorf("groups does not list %s's group on %s's topic:\n%s", who, who, groups)
		}
	}
	if p := l.runArgs(2, "admin", []string{"topic-describe"}); !strings.Contains(p.output(), "topic does not exist: "+l.topic+" ") {
		t.Errorf("the unsuffixed topic should not exist:\n%s", p.output())
	}
	if p := l.runArgs(2, "manual-sync", nil, "LEARNER=a.b"); !strings.Contains(p.output(), `LEARNER (-learner) = "a.b": a learner name is`) {
		t.Errorf("a bad LEARNER is not named:\n%s", p.output())
	}
}

// threeNodes lets one test at a time run a three-node Apache Kafka of its
// own: three more JVMs beside the suite's Kafka is what 2 cores take.
var threeNodes sync.Mutex

// freePorts finds n consecutive free ports on loopback (BROKER_NODES and
// NODES=3 use a port and the ones after it), below the ephemeral range, so
// that a node killed and started again finds its port still free.
func freePorts(t *testing.T, n int) int {
	t.Helper()
	port, err := labproc.FreeRun(n)
	if err != nil {
		t.Fatal(err)
	}
	return port
}

// The embedded broker as three brokers (BROKER_NODES=3): a topic created
// with REPLICATION=3 has a copy on each, and the crash recipe counts as on
// one broker.
func TestEmbeddedThreeBrokers(t *testing.T) {
	t.Parallel()
	port := freePorts(t, 3)
	b, err := startBroker(t.TempDir(), port, "BROKER_NODES=3")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { b.stop(syscall.SIGTERM) })
	// The ports accept connections a moment before the broker prints its line.
	want := fmt.Sprintf("listening on 127.0.0.1:%d,127.0.0.1:%d,127.0.0.1:%d", port, port+1, port+2)
	for deadline := time.Now().Add(10 * time.Second); !strings.Contains(b.output(), want) && time.Now().Before(deadline); {
		time.Sleep(50 * time.Millisecond)
	}
	if !strings.Contains(b.output(), want) {
		t.Fatalf("the broker does not say %q:\n%s", want, b.output())
	}
	l := newLab(t)
	l.brokers = fmt.Sprintf("127.0.0.1:%d,127.0.0.1:%d,127.0.0.1:%d", port, port+1, port+2)
	l.admin("topic-create", "REPLICATION=3")
	td := l.admin("topic-describe").output()
	rows := regexp.MustCompile(`(?m)^  p\d +(\d+) +(\S+) +(\S+) +0 +0 +0$`).FindAllStringSubmatch(td, -1)
	for _, r := range rows {
		// kfake picks each partition's leader at random among the three.
		if r[1] != "0" && r[1] != "1" && r[1] != "2" {
			t.Errorf("a partition led by broker %s, not one of 0, 1, 2: %q", r[1], r[0])
		}
		if len(strings.Split(r[2], ",")) != 3 || len(strings.Split(r[3], ",")) != 3 {
			t.Errorf("a partition with REPLICATION=3 should have 3 replicas, all in sync: %q", r[0])
		}
	}
	if len(rows) != 3 {
		t.Errorf("want 3 partitions:\n%s", td)
	}
	l.run(0, "seed", "SEED_MESSAGES=30")
	l.run(1, "manual-sync", "LOG=p.log", "CRASH=10", "WORK_DELAY=0")
	l.run(0, "manual-sync", "LOG=p.log", "IDLE_EXIT=1s", "WORK_DELAY=0")
	if c := l.count(l.path("p.log")); c.unique != 30 || c.lost != 0 || c.duplicates != 5 {
		t.Errorf("crash recipe on three brokers: %+v", c)
	}
	// The one name whose hash is Integer.MIN_VALUE: where the lesson's
	// Math.abs and Kafka's Utils.abs part ways.
	if out := l.admin("group-coordinator", "GROUP=polygenelubricants").output(); !strings.Contains(out, "hashCode() = -2147483648") ||
		!strings.Contains(out, "a partition of -48") || !strings.Contains(out, "% 50 = partition 0") {
		t.Errorf("group-coordinator on polygenelubricants:\n%s", out)
	}
	coord := l.admin("group-coordinator").output()
	if !regexp.MustCompile(`coordinator: broker \d, as the broker answers FindCoordinator`).MatchString(coord) {
		t.Errorf("group-coordinator:\n%s", coord)
	}
}

// jvm-kafka-up NODES=3 (on KAFKA_HOST): three KRaft nodes from the jars, __consumer_offsets
// with Kafka's 50 partitions on all three; a topic with REPLICATION=3 keeps
// taking acks=all writes and serving the group with one node SIGKILLed, the
// group's coordinator then being another node; the formula agrees with the
// cluster before and after.
func TestThreeNodeKafka(t *testing.T) {
	if os.Getenv("LAB_TEST_BROKER_KIND") != "jvm-kafka" {
		t.Skip("starts a three-node Apache Kafka from the jars: `make test-kafka` runs it")
	}
	t.Parallel()
	threeNodes.Lock()
	defer threeNodes.Unlock()
	port, dir := freePorts(t, 6), t.TempDir()
	script := func(args ...string) string {
		t.Helper()
		cmd := exec.Command(filepath.Join(root, "scripts", "jvm-kafka.sh"), args...)
		// KAFKA_HOST: the address a class's machine would give; another
		// loopback address here, so that nothing may assume 127.0.0.1.
		cmd.Env = cleanEnv("LAB_BIN="+binDir, "NODES=3", "KAFKA_HOST=127.0.0.2", fmt.Sprintf("KAFKA_PORT=%d", port), fmt.Sprintf("KAFKA_CONTROLLER_PORT=%d", port+3), "KAFKA_DIR="+dir)
		out, err := cmd.CombinedOutput()
		if err != nil {
			logs, _ := filepath.Glob(filepath.Join(dir, "node-*", "*.out"))
			for _, f := range logs {
				b, _ := os.ReadFile(f)
				out = append(out, fmt.Sprintf("\n--- %s (end):\n%s", f, b[max(0, len(b)-2000):])...)
			}
			t.Fatalf("jvm-kafka.sh %v: %v\n%s", args, err, out)
		}
		return string(out)
	}
	up := script("up")
	t.Cleanup(func() { script("down") })
	addrs := fmt.Sprintf("127.0.0.2:%d,127.0.0.2:%d,127.0.0.2:%d", port, port+1, port+2)
	if !strings.Contains(up, "3 nodes, answering on 127.0.0.2:") || !strings.Contains(up, "BROKERS="+addrs) {
		t.Fatalf("jvm-kafka.sh up NODES=3 said:\n%s", up)
	}
	l := newLab(t)
	l.brokers = addrs
	l.admin("topic-create", "REPLICATION=3")
	l.run(0, "seed", "SEED_MESSAGES=30")
	l.run(0, "manual-sync", "LOG=p.log", "IDLE_EXIT=1s", "WORK_DELAY=0")

	coordinator := regexp.MustCompile(`__consumer_offsets has 50 partitions: abs\(-?\d+\) % 50 = partition (\d+), led by broker (\d)\n  coordinator: broker (\d), as the cluster answers FindCoordinator: formula and cluster agree`)
	m := coordinator.FindStringSubmatch(l.admin("group-coordinator").output())
	if m == nil {
		t.Fatalf("group-coordinator:\n%s", l.admin("group-coordinator").output())
	}
	td := l.admin("topic-describe").output()
	if n := len(regexp.MustCompile(`(?m)^  p\d +[123] +\d,\d,\d +\d,\d,\d +0 +10 +10$`).FindAllString(td, -1)); n != 3 {
		t.Fatalf("want 3 partitions with 3 replicas, all in sync:\n%s", td)
	}

	// The coordinator dies: acks=all writes go on (two in-sync replicas
	// are min.insync.replicas), and another node coordinates the group.
	dead := m[3]
	if out := script("node-kill", dead); !strings.Contains(out, "node "+dead+" (pid") {
		t.Fatalf("node-kill said:\n%s", out)
	}
	l.run(0, "seed", "SEED_MESSAGES=30")
	l.run(0, "manual-sync", "LOG=p.log", "IDLE_EXIT=1s", "WORK_DELAY=0")
	if c := l.count(l.path("p.log")); c.total != 60 || c.unique != 60 || c.lost != 0 {
		t.Errorf("with node %s dead: %+v, want the 60 orders once each", dead, c)
	}
	m2 := coordinator.FindStringSubmatch(l.admin("group-coordinator").output())
	if m2 == nil || m2[3] == dead || m2[1] != m[1] {
		t.Errorf("after node %s died, want the same partition %s led and coordinated by another node: %v", dead, m[1], m2)
	}
	if out := script("node-up", dead); !strings.Contains(out, "node "+dead+" (pid") || !strings.Contains(out, "answering on") {
		t.Errorf("node-up said:\n%s", out)
	}
}

// docs/clusters.md shows what the tests pin: the lines it quotes are the
// ones the tests above look for.
func TestClustersPageShowsWhatTheTestsCheck(t *testing.T) {
	t.Parallel()
	b, err := os.ReadFile(filepath.Join(root, "docs", "clusters.md"))
	if err != nil {
		t.Fatal(err)
	}
	page := string(b)
	for _, line := range []string{
		"__consumer_offsets has 50 partitions: abs(561532472) % 50 = partition 22, led by broker 2\n  coordinator: broker 2, as the cluster answers FindCoordinator: formula and cluster agree",
		`"polygenelubricants".hashCode() = -2147483648`,
		"leaves it negative (a partition of -48); Kafka uses Utils.abs, which makes it 0",
		"Compaction keeps only each key's last record:",
		"tombstone: the group's offset was deleted",
		"coordinator-failover auto           150    150          0     0",
		"its\n> coordinator, broker 2, SIGKILLed after 25 records; the cluster named broker 3",
		"is TLS missing?", "signed by a CA this client does not trust", "set TLS_CA to the PEM file",
		"is SASL missing?", "closed the connection while SASL_USER=teacher logged in with SASL_MECHANISM=SCRAM-SHA-512",
		"SCRAM user alice can now log in with SASL_MECHANISM=SCRAM-SHA-256",
		"refused SASL_USER=alice with SASL_MECHANISM=SCRAM-SHA-256: SASL_AUTHENTICATION_FAILED",
		"group kitchen-sync-alice as static member kitchen-sync-alice-1, topic brew.orders.v1.alice on",
		"processed-sync.log: total=35 unique-offsets=30 duplicates=5 lost=0",
	} {
		if !strings.Contains(page, line) {
			t.Errorf("docs/clusters.md lacks %q", line)
		}
	}
}
