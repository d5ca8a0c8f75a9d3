// Package e2e runs the lab's real binaries as separate processes against a
// real broker process, the way a learner does: a crash is the binary's own
// os.Exit(1), a kill is a real SIGKILL, and every number is read back from the
// processed logs and the broker.
//
// By default TestMain builds the binaries and starts the embedded broker
// (bin/broker) on a free port with a fresh data directory. With
// LAB_TEST_BROKERS=host:port the same tests run against that broker instead
// (real Apache Kafka, for instance); tests that restart the broker themselves
// then start their own embedded one.
package e2e

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"offsetlab/internal/cluster"
	"offsetlab/internal/config"
	labproc "offsetlab/internal/proc"
	"offsetlab/internal/processedlog"
	"offsetlab/internal/tally"
)

var (
	root    string // the lab's folder
	binDir  string // the lab's bin/, built by make build
	brokers string // the broker every test talks to
)

func TestMain(m *testing.M) { os.Exit(testMain(m)) }

func testMain(m *testing.M) int {
	var err error
	if root, err = filepath.Abs(".."); err != nil {
		panic(err)
	}
	tmp, err := os.MkdirTemp("", "offsets-lab-e2e-")
	if err != nil {
		panic(err)
	}
	defer os.RemoveAll(tmp)
	// The binaries as a learner builds them: make build, into the lab's bin/
	// (once: the make targets the tests run then find them up to date).
	binDir = filepath.Join(root, "bin")
	build := exec.Command("make", "-s", "--no-print-directory", "-f", filepath.Join(root, "Makefile"), "build")
	build.Env = cleanEnv()
	if out, err := build.CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "make build: %v\n%s", err, out)
		return 1
	}

	if brokers = os.Getenv("LAB_TEST_BROKERS"); brokers == "" {
		b, err := startBroker(filepath.Join(tmp, "broker-data"), freePort(), testSession...)
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		defer b.stop(syscall.SIGTERM)
		brokers = b.addr
	}
	fmt.Fprintf(os.Stderr, "e2e: broker %s\n", brokers)
	return m.Run()
}

// testSession is how long a crashed KIP-848 or share group member keeps its
// partitions on the suite's brokers: 6 s, not Kafka's 45 s, so that the tests
// that wait out a crashed member's session take seconds (make test-kafka
// starts its Kafka with the same, KAFKA_SESSION_TIMEOUT_MS=6000).
var testSession = []string{"BROKER_SESSION_TIMEOUT=6s"}

// silentListener accepts connections and never answers (a server that
// hangs), until the test and its subtests are done.
func silentListener(t *testing.T) string {
	t.Helper()
	silent, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { silent.Close() })
	go func() {
		var conns []net.Conn
		defer func() {
			for _, c := range conns {
				c.Close()
			}
		}()
		for {
			c, err := silent.Accept()
			if err != nil {
				return
			}
			conns = append(conns, c)
		}
	}()
	return silent.Addr().String()
}

// onEmbedded tells whether the shared broker is the embedded one.
func onEmbedded() bool { return os.Getenv("LAB_TEST_BROKERS") == "" }

// freePort is a free loopback port below the ephemeral range, so that a
// broker the test stops and starts again finds it still free (labproc.FreeRun).
func freePort() int {
	port, err := labproc.FreeRun(1)
	if err != nil {
		panic(err)
	}
	return port
}

// brokerProc is an embedded broker process.
type brokerProc struct {
	p    *labproc.Proc
	addr string
	data string
	port int
}

// startBroker starts bin/broker on port with its state in data, and with the
// settings kv (BROKER_SASL, BROKER_NODES, ...). It waits for the port only:
// a secured broker answers no plaintext client.
func startBroker(data string, port int, kv ...string) (*brokerProc, error) {
	p, err := labproc.Start(labproc.Cmd{Path: filepath.Join(binDir, "broker"),
		Env: cleanEnv(append([]string{"BROKER_PORT=" + strconv.Itoa(port), "BROKER_DATA=" + data}, kv...)...)})
	if err != nil {
		return nil, err
	}
	b := &brokerProc{p: p, addr: fmt.Sprintf("127.0.0.1:%d", port), data: data, port: port}
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		if c, err := net.DialTimeout("tcp", b.addr, 200*time.Millisecond); err == nil {
			c.Close()
			return b, nil
		}
		time.Sleep(50 * time.Millisecond)
	}
	b.stop(syscall.SIGKILL)
	return nil, fmt.Errorf("embedded broker did not listen on %s within 10s:\n%s", b.addr, p.Output())
}

// output is what the broker printed so far.
func (b *brokerProc) output() string { return b.p.Output() }

func (b *brokerProc) stop(sig syscall.Signal) {
	_ = b.p.Signal(sig)
	<-b.p.Done()
}

// restartable is a broker of a test's own that it may stop and start again
// with the same address and data: the embedded one, or (with
// LAB_TEST_BROKER_KIND=jvm-kafka, as `make test-kafka` sets) real Apache
// Kafka started by scripts/jvm-kafka.sh.
type restartable interface {
	address() string
	stopWith(sig syscall.Signal) error
	start() error
	logs() string
}

func newRestartable(t testing.TB) restartable {
	t.Helper()
	var r restartable
	if os.Getenv("LAB_TEST_BROKER_KIND") == "jvm-kafka" {
		r = &jvmKafka{port: freePort(), cport: freePort(), dir: t.TempDir()}
	} else {
		r = &embedded{data: t.TempDir(), port: freePort()}
	}
	if err := r.start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = r.stopWith(syscall.SIGKILL) })
	return r
}

type embedded struct {
	data string
	port int
	b    *brokerProc
}

func (e *embedded) address() string { return fmt.Sprintf("127.0.0.1:%d", e.port) }
func (e *embedded) logs() string {
	if e.b == nil {
		return ""
	}
	return e.b.output()
}

func (e *embedded) start() (err error) {
	e.b, err = startBroker(e.data, e.port, testSession...)
	return err
}

func (e *embedded) stopWith(sig syscall.Signal) error {
	if e.b != nil {
		e.b.stop(sig)
	}
	return nil
}

type jvmKafka struct {
	port, cport int
	dir         string
}

func (k *jvmKafka) address() string { return fmt.Sprintf("127.0.0.1:%d", k.port) }

func (k *jvmKafka) logs() string {
	b, _ := os.ReadFile(filepath.Join(k.dir, "server.log"))
	if len(b) > 4000 {
		b = b[len(b)-4000:]
	}
	return string(b)
}

func (k *jvmKafka) start() error {
	cmd := exec.Command(filepath.Join(root, "scripts", "jvm-kafka.sh"), "up")
	cmd.Env = cleanEnv("LAB_BIN="+binDir, fmt.Sprintf("KAFKA_PORT=%d", k.port), fmt.Sprintf("KAFKA_CONTROLLER_PORT=%d", k.cport), "KAFKA_DIR="+k.dir, "KAFKA_SESSION_TIMEOUT_MS=6000")
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("jvm-kafka.sh up: %v\n%s", err, out)
	}
	return nil
}

// stopWith signals the JVM itself (its pid file), then waits until it is gone.
func (k *jvmKafka) stopWith(sig syscall.Signal) error {
	b, err := os.ReadFile(filepath.Join(k.dir, "kafka.pid"))
	if err != nil {
		return nil // not running
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil {
		return err
	}
	_ = syscall.Kill(pid, sig)
	for deadline := time.Now().Add(60 * time.Second); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		if !alive(pid) {
			return os.Remove(filepath.Join(k.dir, "kafka.pid"))
		}
	}
	return fmt.Errorf("kafka pid %d still alive 60s after %s", pid, sig)
}

// alive says whether pid runs: it exists and one of its threads is not a
// zombie. A killed process nobody has reaped yet is a zombie that
// kill(pid, 0) still finds; and a killed JVM's main thread turns zombie
// while its other threads are still exiting and holding its sockets
// (measured: Kafka's port still answered then, and a restart on it failed).
func alive(pid int) bool {
	if syscall.Kill(pid, 0) != nil {
		return false
	}
	tasks, err := os.ReadDir(fmt.Sprintf("/proc/%d/task", pid))
	if err != nil {
		return false
	}
	for _, task := range tasks {
		stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/task/%s/stat", pid, task.Name()))
		if err != nil {
			continue // that thread has just gone
		}
		// "pid (comm) state ...": the state follows the last ')'.
		rest := stat[strings.LastIndexByte(string(stat), ')')+1:]
		if !strings.HasPrefix(strings.TrimSpace(string(rest)), "Z") {
			return true
		}
	}
	return false
}

// labVars are the settings the binaries read from the environment; the tests
// set them explicitly so a developer's own environment cannot leak in.
var labVars = append([]string{"LAB_BIN", "LAB_TEST_BROKERS", "LAB_TEST_SASL_BROKERS", "LAB_TEST_DATABASE_URL", "PG_PORT", "PG_DIR",
	"NODES", "NODE", "KAFKA_HOST", "KAFKA_PORT", "KAFKA_CONTROLLER_PORT", "KAFKA_SASL_PORT", "KAFKA_DIR", "KAFKA_SESSION_TIMEOUT_MS"}, config.Names...)

func cleanEnv(kv ...string) []string {
	var env []string
outer:
	for _, e := range os.Environ() {
		for _, v := range labVars {
			if strings.HasPrefix(e, v+"=") {
				continue outer
			}
		}
		env = append(env, e)
	}
	return append(env, kv...)
}

// lab is one test's private corner of the broker: its own topic, group and folder.
type lab struct {
	t       testing.TB
	dir     string
	topic   string
	group   string
	brokers string
}

var labSeq atomic.Int64

var unsafeName = regexp.MustCompile(`[^a-zA-Z0-9._-]+`)

func newLab(t testing.TB) *lab {
	t.Helper()
	name := unsafeName.ReplaceAllString(t.Name(), "-")
	if len(name) > 80 {
		name = name[:80]
	}
	n := labSeq.Add(1)
	return &lab{
		t:       t,
		dir:     t.TempDir(),
		topic:   fmt.Sprintf("t-%s-%d-%d", name, os.Getpid(), n),
		group:   fmt.Sprintf("g-%s-%d-%d", name, os.Getpid(), n),
		brokers: brokers,
	}
}

// env is the environment of a lab binary: this lab's broker, topic, group and
// log folder, then the test's own settings.
func (l *lab) env(kv ...string) []string {
	return cleanEnv(append([]string{"BROKERS=" + l.brokers, "TOPIC=" + l.topic, "OUTPUT_TOPIC=" + l.topic + ".tickets", "GROUP=" + l.group}, kv...)...)
}

func (l *lab) path(name string) string { return filepath.Join(l.dir, name) }

// proc is a running lab binary whose output the test can wait on: the
// lab's process runner, with a test to fail.
type proc struct {
	*labproc.Proc
	t testing.TB
}

// start starts a binary with settings KEY=value in its environment.
func (l *lab) start(bin string, kv ...string) *proc {
	l.t.Helper()
	return l.startArgs(bin, nil, kv...)
}

func (l *lab) startArgs(bin string, args []string, kv ...string) *proc {
	l.t.Helper()
	p, err := labproc.Start(labproc.Cmd{Path: filepath.Join(binDir, bin), Args: args, Env: l.env(kv...), Dir: l.dir})
	if err != nil {
		l.t.Fatal(err)
	}
	l.t.Cleanup(p.Kill) // a no-op once it ended
	return &proc{Proc: p, t: l.t}
}

func (p *proc) output() string { return p.Output() }

// find returns the first line containing s.
func (p *proc) find(s string) (string, bool) { return p.Find(s) }

// waitFor waits until a line contains s, and returns it.
func (p *proc) waitFor(s string, timeout time.Duration) string {
	p.t.Helper()
	line, ok := p.WaitFor(context.Background(), timeout, s)
	if !ok {
		select {
		case <-p.Done():
			p.t.Fatalf("%s exited (code %d) before printing %q:\n%s", p.Name(), p.Code(), s, p.output())
		default:
			p.t.Fatalf("%s did not print %q within %s:\n%s", p.Name(), s, timeout, p.output())
		}
	}
	return line
}

// countLines counts lines containing s.
func (p *proc) countLines(s string) int { return p.Count(s) }

// killMidWork SIGKILLs p at a random moment of its work: 0 to 450 ms after
// its first record, however long it took to get there (joining the group
// takes longer on a busy machine, or on Kafka). A run that ends or has
// nothing to do first is killed where it is.
func killMidWork(p *proc) {
	p.t.Helper()
	if _, ok := p.WaitFor(context.Background(), 30*time.Second, "first record"); ok {
		time.Sleep(time.Duration(rand.IntN(450)) * time.Millisecond)
	}
	_ = p.Signal(syscall.SIGKILL) // the caller checks how it ended
}

// killRepeatedly starts bin with kv and SIGKILLs it mid-work (killMidWork),
// kills times, and says how many kills came after some work and how many
// log lines the kills left. Most kills must land mid-work, not while
// joining, and the last of them before the work (orders records) is done.
func (l *lab) killRepeatedly(bin, log string, kills, orders int, kv ...string) (midWork, lines int) {
	l.t.Helper()
	for i := range kills {
		p := l.start(bin, kv...)
		killMidWork(p)
		if code := p.wait(20 * time.Second); code != 128+int(syscall.SIGKILL) {
			l.t.Fatalf("kill %d: exit %d, want the SIGKILL's:\n%s", i, code, p.output())
		}
		if _, err := os.Stat(log); err == nil {
			if n := len(l.readLog(log)); n > lines {
				midWork, lines = midWork+1, n
			}
		}
	}
	if midWork < kills/2 || lines >= orders {
		l.t.Errorf("%d of %d kills came after some work, %d of %d orders delivered during them", midWork, kills, lines, orders)
	}
	return midWork, lines
}

// wait waits for the exit and returns the exit code.
func (p *proc) wait(timeout time.Duration) int {
	p.t.Helper()
	code, err := p.Wait(context.Background(), timeout)
	if err != nil {
		p.t.Fatalf("%v:\n%s", err, p.output())
	}
	return code
}

func (p *proc) signal(sig syscall.Signal) {
	p.t.Helper()
	if err := p.Signal(sig); err != nil {
		p.t.Fatalf("signal %s: %v", sig, err)
	}
}

// run runs a binary to its end and checks the exit code.
func (l *lab) run(wantCode int, bin string, kv ...string) *proc {
	l.t.Helper()
	return l.runArgs(wantCode, bin, nil, kv...)
}

func (l *lab) runArgs(wantCode int, bin string, args []string, kv ...string) *proc {
	l.t.Helper()
	p := l.startArgs(bin, args, kv...)
	if code := p.wait(2 * time.Minute); code != wantCode {
		l.t.Fatalf("%s %v %v exited %d, want %d:\n%s", bin, args, kv, code, wantCode, p.output())
	}
	return p
}

// admin runs `admin COMMAND` and wants exit code 0.
func (l *lab) admin(command string, kv ...string) *proc {
	l.t.Helper()
	return l.runArgs(0, "admin", []string{command}, kv...)
}

// seed creates the lab's topic and loads n orders into it.
func (l *lab) seed(n int) {
	l.t.Helper()
	l.admin("topic-create")
	l.run(0, "seed", "SEED_MESSAGES="+strconv.Itoa(n))
}

// counted is the headline of `admin count`.
type counted struct {
	total, unique, duplicates, lost int // lost -1: "?"
	out                             string
}

var headline = regexp.MustCompile(`^(\S+): total=(\d+) unique-offsets=(\d+) duplicates=(\d+) lost=(\d+|\?)$`)

func (l *lab) count(log string) counted {
	l.t.Helper()
	p := l.admin("count", "LOG="+log)
	return parseCount(l.t, p.output())
}

func parseCount(t testing.TB, out string) counted {
	t.Helper()
	first, _, _ := strings.Cut(out, "\n")
	m := headline.FindStringSubmatch(first)
	if m == nil {
		t.Fatalf("count's first line %q is not the headline:\n%s", first, out)
	}
	c := counted{out: out, lost: -1}
	c.total, _ = strconv.Atoi(m[2])
	c.unique, _ = strconv.Atoi(m[3])
	c.duplicates, _ = strconv.Atoi(m[4])
	if m[5] != "?" {
		c.lost, _ = strconv.Atoi(m[5])
	}
	return c
}

// adm is an admin client the test uses to look at the broker directly.
func (l *lab) adm() *cluster.Client {
	l.t.Helper()
	a, err := cluster.Dial(context.Background(), config.Plaintext(strings.Split(l.brokers, ",")))
	if err != nil {
		l.t.Fatal(err)
	}
	l.t.Cleanup(a.Close)
	return a
}

// committed is the group's committed offset per partition, from the broker.
func (l *lab) committed() map[int32]int64 {
	l.t.Helper()
	c, err := l.adm().Committed(context.Background(), l.group, l.topic)
	if err != nil {
		l.t.Fatal(err)
	}
	return c
}

func sum(m map[int32]int64) int64 {
	var s int64
	for _, v := range m {
		s += v
	}
	return s
}

// waitProcessed waits, up to a minute, until the processed log holds n
// distinct offsets.
func (l *lab) waitProcessed(log string, n int) {
	l.t.Helper()
	unique := 0
	for deadline := time.Now().Add(time.Minute); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		es, err := processedlog.ReadFile(log)
		if err != nil && !os.IsNotExist(err) {
			l.t.Fatal(err)
		}
		if unique = tally.Count(es, nil).Unique; unique >= n {
			return
		}
	}
	l.t.Fatalf("%s holds %d distinct offsets after a minute, want %d", log, unique, n)
}

// readLog parses a processed log.
func (l *lab) readLog(log string) []processedlog.Entry {
	l.t.Helper()
	es, err := processedlog.ReadFile(log)
	if err != nil {
		l.t.Fatal(err)
	}
	return es
}

// ranges is the topic's offsets per partition, straight from the broker.
func (l *lab) ranges() map[int32]tally.Range {
	l.t.Helper()
	r, err := l.adm().Ranges(context.Background(), l.topic)
	if err != nil {
		l.t.Fatal(err)
	}
	return r
}
