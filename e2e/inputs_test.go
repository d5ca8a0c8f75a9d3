package e2e

import (
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// Bad input: a non-zero exit within seconds, one clear message naming the
// problem, and nothing appended to the processed log.
func TestBadSettingsAreRefusedByName(t *testing.T) {
	t.Parallel()
	tests := []struct {
		bins []string
		kv   string
		want string
	}{
		{[]string{"auto-commit", "manual-sync", "manual-async", "idempotent", "db-offsets", "seed", "admin"}, "BROKERS=nohostport", "BROKERS (-brokers)"},
		{[]string{"auto-commit", "manual-sync", "manual-async", "seed", "admin"}, "TOPIC=bad topic", "TOPIC (-topic)"},
		{[]string{"auto-commit", "manual-sync", "manual-async"}, "GROUP=a\tb", "GROUP (-group)"},
		{[]string{"auto-commit", "manual-sync", "manual-async"}, "INSTANCE=0", "INSTANCE (-instance)"},
		{[]string{"auto-commit", "manual-sync", "manual-async", "idempotent", "db-offsets"}, "CRASH=ten", "CRASH (-crash)"},
		{[]string{"idempotent", "db-offsets", "admin"}, "DATABASE_URL=mysql://lab:s3cret@db/kitchen", "DATABASE_URL (-database-url)"},
		{[]string{"auto-commit", "manual-sync", "manual-async"}, "WORK_DELAY=slow", "WORK_DELAY (-work-delay)"},
		{[]string{"auto-commit", "manual-async"}, "COMMIT_EVERY=50ms", "COMMIT_EVERY (-commit-every)"},
		{[]string{"auto-commit", "manual-sync", "manual-async"}, "MAX_POLL_RECORDS=-1", "MAX_POLL_RECORDS (-max-poll-records)"},
		{[]string{"auto-commit", "manual-sync", "manual-async"}, "IDLE_EXIT=later", "IDLE_EXIT (-idle-exit)"},
		{[]string{"auto-commit"}, "GREEDY=sometimes", "GREEDY (-greedy)"},
		{[]string{"seed"}, "SEED_MESSAGES=0", "SEED_MESSAGES (-seed-messages)"},
		{[]string{"broker"}, "BROKER_PORT=70000", "BROKER_PORT (-broker-port)"},
		{[]string{"admin"}, "PARTITIONS=0", "PARTITIONS (-partitions)"},
	}
	for _, tt := range tests {
		for _, bin := range tt.bins {
			t.Run(bin+"/"+tt.want, func(t *testing.T) {
				l := newLab(t)
				log := l.path("p.log")
				var args []string
				if bin == "admin" {
					args = []string{"count"}
				}
				p := l.startArgs(bin, args, tt.kv, "LOG="+log)
				code := p.wait(10 * time.Second)
				if code != 2 || !strings.Contains(p.output(), tt.want) || !strings.Contains(p.output(), "bad settings") || strings.Contains(p.output(), "s3cret") {
					t.Fatalf("exit %d, want 2 and a message naming %s (and no password):\n%s", code, tt.want, p.output())
				}
				if _, err := os.Stat(log); !os.IsNotExist(err) {
					t.Fatalf("a refused start touched the log: %v", err)
				}
			})
		}
	}
}

func TestFlagsWorkLikeVariables(t *testing.T) {
	t.Parallel()
	l := newLab(t)
	p := l.startArgs("manual-sync", []string{"-crash", "x"})
	if code := p.wait(10 * time.Second); code != 2 || !strings.Contains(p.output(), `CRASH (-crash) = "x"`) {
		t.Fatalf("exit %d:\n%s", code, p.output())
	}
	p = l.startArgs("auto-commit", []string{"-h"})
	if code := p.wait(10 * time.Second); code != 0 || !strings.Contains(p.output(), "-commit-every") || !strings.Contains(p.output(), "GREEDY") {
		t.Fatalf("-h: exit %d:\n%s", code, p.output())
	}
}

// The failures a learner meets: no broker, no topic, a log that cannot be
// written, a second copy. Each is refused before the group is joined, with a
// message that says what to do, and the existing log keeps its bytes.
func TestRefusedStartsAppendNothing(t *testing.T) {
	t.Parallel()
	dead := "127.0.0.1:" + strconv.Itoa(freePort()) // nothing listens there
	// A port that accepts connections and never answers: no refusal to act on.
	silent := silentListener(t)
	notADir := filepath.Join(t.TempDir(), "file")
	os.WriteFile(notADir, []byte("x"), 0o644)
	tests := []struct {
		name   string
		noSeed bool
		kv     []string
		want   []string
	}{
		{"unreachable broker", true, []string{"BROKERS=" + dead}, []string{"no Kafka broker answered at " + dead, "make broker-up"}},
		{"silent broker", true, []string{"BROKERS=" + silent}, []string{"no Kafka broker answered at " + silent + " within 5s"}},
		{"missing topic", true, nil, []string{"topic does not exist", "make topic-create"}},
		{"unwritable log", false, []string{"LOG=" + filepath.Join(notADir, "p.log")}, []string{"LOG=", "not a directory"}},
	}
	for _, tt := range tests {
		for _, bin := range []string{"auto-commit", "manual-sync", "manual-async", "idempotent", "db-offsets"} {
			t.Run(tt.name+"/"+bin, func(t *testing.T) {
				// Each waits on its own (the silent broker 5 s): side by side.
				t.Parallel()
				l := newLab(t)
				if !tt.noSeed {
					l.seed(30)
				}
				log := l.path("p.log")
				before := "0,0,order-0000,already here\n"
				os.WriteFile(log, []byte(before), 0o644)
				start := time.Now()
				p := l.start(bin, append([]string{"LOG=" + log}, tt.kv...)...)
				code := p.wait(30 * time.Second)
				took := time.Since(start)
				for _, w := range tt.want {
					if !strings.Contains(p.output(), w) {
						t.Errorf("output lacks %q", w)
					}
				}
				if code != 2 || took > 10*time.Second {
					t.Errorf("exit %d after %s, want 2 within seconds", code, took)
				}
				if b, _ := os.ReadFile(log); string(b) != before {
					t.Errorf("log changed to %q", b)
				}
				if t.Failed() {
					t.Logf("output:\n%s", p.output())
				}
			})
		}
	}
}

func TestSecondCopyWithSameInstanceIsRefused(t *testing.T) {
	t.Parallel()
	l := newLab(t)
	l.seed(30)
	log := l.path("p.log")
	first := l.start("manual-async", "LOG="+log, "WORK_DELAY=500ms")
	first.waitFor("processed p", 20*time.Second)
	second := l.start("manual-async", "LOG="+l.path("second.log"))
	if code := second.wait(10 * time.Second); code != 2 ||
		!strings.Contains(second.output(), "INSTANCE=1 of group "+l.group+" is already running") ||
		!strings.Contains(second.output(), "INSTANCE=2") {
		t.Fatalf("second copy: exit %d:\n%s", code, second.output())
	}
	if b, _ := os.ReadFile(l.path("second.log")); len(b) != 0 {
		t.Fatalf("refused copy wrote %q", b)
	}
	// A different INSTANCE is a legitimate second copy. It runs until the
	// work is done, not until an IDLE_EXIT: it may finish its own
	// partitions before the first copy has left and handed it the rest
	// (seen on a busy Kafka), and would then stop with them unread.
	third := l.start("manual-async", "LOG="+log, "INSTANCE=2", "WORK_DELAY=10ms")
	third.waitFor("assigned", 20*time.Second)
	first.signal(2)
	first.wait(20 * time.Second)
	l.waitProcessed(log, 30)
	third.signal(2)
	if code := third.wait(time.Minute); code != 0 {
		t.Fatalf("second copy: exit %d after a clean stop:\n%s", code, third.output())
	}
	if c := l.count(log); c.lost != 0 || c.unique != 30 {
		t.Fatalf("two copies: %s", c.out)
	}
}

// A copy started elsewhere with the same static member id (here: the same
// broker under another name, so the local lock does not see it) fences the
// first one, which must say so and how to fix it.
func TestFencedCopyExitsWithAdvice(t *testing.T) {
	t.Parallel()
	l := newLab(t)
	l.seed(30)
	other := strings.Replace(l.brokers, "127.0.0.1", "localhost", 1)
	if other == l.brokers {
		t.Skip("broker address has no 127.0.0.1 to rename")
	}
	first := l.start("manual-sync", "LOG="+l.path("one.log"), "WORK_DELAY=200ms")
	first.waitFor("processed p", 20*time.Second)
	second := l.start("manual-sync", "LOG="+l.path("two.log"), "WORK_DELAY=200ms", "BROKERS="+other)
	second.waitFor("processed p", 20*time.Second)
	if code := first.wait(30 * time.Second); code != 3 {
		t.Fatalf("first copy exit %d, want 3 (fenced):\n%s", code, first.output())
	}
	t.Logf("the first copy exited fenced %s after the second started", time.Since(second.Started()).Round(100*time.Millisecond))
	out := first.output()
	if !strings.Contains(out, "fenced") || !strings.Contains(out, "own INSTANCE") {
		t.Fatalf("no advice:\n%s", out)
	}
	second.signal(15)
	if code := second.wait(20 * time.Second); code != 0 {
		t.Fatalf("the fencing copy must carry on and stop cleanly, exit %d:\n%s", code, second.output())
	}
}

func TestSeedAndAdminErrors(t *testing.T) {
	t.Parallel()
	l := newLab(t)
	p := l.start("seed")
	if code := p.wait(10 * time.Second); code != 2 || !strings.Contains(p.output(), "topic does not exist: "+l.topic) {
		t.Fatalf("seed on a missing topic: exit %d\n%s", code, p.output())
	}
	// A group that never ran is a normal state.
	d := l.admin("group-describe")
	if !strings.Contains(d.output(), "state Dead (unknown to the broker") {
		t.Fatalf("describe of a new group:\n%s", d.output())
	}
	if del := l.admin("group-delete"); !strings.Contains(del.output(), "does not exist: nothing to delete") {
		t.Fatalf("delete of a new group:\n%s", del.output())
	}
	if del := l.admin("topic-delete"); !strings.Contains(del.output(), "does not exist: nothing to delete") {
		t.Fatalf("delete of a missing topic:\n%s", del.output())
	}
	// count still counts without a broker.
	log := l.path("p.log")
	os.WriteFile(log, []byte("0,0,a,b\n0,0,a,b\n1,4,c,d\n"), 0o644)
	c := parseCount(t, l.runArgs(0, "admin", []string{"count"}, "LOG="+log, "BROKERS=127.0.0.1:"+strconv.Itoa(freePort())).output())
	if c.total != 3 || c.unique != 2 || c.duplicates != 1 || c.lost != -1 {
		t.Fatalf("offline count:\n%s", c.out)
	}
	if p := l.startArgs("admin", []string{"count"}, "LOG="+l.path("missing.log")); p.wait(10*time.Second) != 2 || !strings.Contains(p.output(), "does not exist") {
		t.Fatalf("count of a missing log:\n%s", p.output())
	}
}

// Deleting a group with a live member is refused, naming the member.
func TestGroupDeleteRefusedWhileRunning(t *testing.T) {
	t.Parallel()
	l := newLab(t)
	l.seed(30)
	p := l.start("manual-sync", "LOG="+l.path("p.log"), "WORK_DELAY=300ms")
	p.waitFor("processed p", 20*time.Second)
	del := l.startArgs("admin", []string{"group-delete"})
	if code := del.wait(10 * time.Second); code != 2 || !strings.Contains(del.output(), "has 1 member(s): "+l.group+"-1. Kafka refuses to delete a group with members") {
		t.Fatalf("exit %d:\n%s", code, del.output())
	}
	p.signal(15)
	p.wait(20 * time.Second)
	// After a clean stop the lab removed its static member: delete works at once.
	l.admin("group-delete")
}

// The embedded broker: a clear error when its port is taken, and broker-up
// refuses to start a second one.
func TestEmbeddedBrokerRefusals(t *testing.T) {
	t.Parallel()
	taken, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer taken.Close()
	port := strconv.Itoa(taken.Addr().(*net.TCPAddr).Port)
	l := newLab(t)
	p := l.start("broker", "BROKER_PORT="+port, "BROKER_DATA="+l.path("data"))
	if code := p.wait(10 * time.Second); code != 2 || !strings.Contains(p.output(), "port "+port+" on 127.0.0.1 is already taken") {
		t.Fatalf("broker on a taken port: exit %d\n%s", code, p.output())
	}

	script := func(verb string, port string) (string, error) {
		cmd := exec.Command(filepath.Join(root, "scripts", "broker.sh"), verb)
		cmd.Env = cleanEnv("LAB_BIN="+binDir, "BROKER_PORT="+port, "BROKER_DATA="+l.path("data"),
			"BROKER_PIDFILE="+l.path("broker.pid"), "BROKER_LOGFILE="+l.path("broker.log"))
		out, err := cmd.CombinedOutput()
		return string(out), err
	}
	free := strconv.Itoa(freePort())
	if out, err := script("up", free); err != nil || !strings.Contains(out, "answering on 127.0.0.1:"+free) {
		t.Fatalf("broker-up: %v\n%s", err, out)
	}
	defer script("down", free)
	if out, err := script("up", free); err == nil || !strings.Contains(out, "already running") {
		t.Fatalf("a second broker-up must be refused: %v\n%s", err, out)
	}
	if out, err := script("down", free); err != nil || !strings.Contains(out, "stopped") {
		t.Fatalf("broker-down: %v\n%s", err, out)
	}
	if out, err := script("up", port); err == nil || !strings.Contains(out, "something already listens on 127.0.0.1:"+port) {
		t.Fatalf("broker-up on a taken port must say so: %v\n%s", err, out)
	}
}
