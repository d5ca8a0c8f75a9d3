package e2e

import (
	"encoding/csv"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"offsetlab/internal/experiment"
	"offsetlab/internal/processedlog"
)

// `make experiment` plays every scenario for every strategy and judges each
// promise itself: every verdict holds, results.csv and results.md say the
// same, and each cell's timeline carries exactly its processed log. On
// Apache Kafka it plays the scenarios that do not need to kill the broker or
// inject faults, and says the others are skipped.
func TestMakeExperiment(t *testing.T) {
	if testing.Short() {
		t.Skip("-short")
	}
	t.Parallel()
	out := t.TempDir()
	env := cleanEnv("OUT=" + out)
	// All: every scenario but the one that starts a cluster of its own
	// (TestCoordinatorFailoverExperiment plays it). On Kafka the ones that
	// kill the broker or fault its commits are there to be skipped, saying
	// why.
	var scenarios []experiment.Scenario
	for _, s := range experiment.Scenarios {
		if !s.Cluster {
			scenarios = append(scenarios, s)
		}
	}
	if !onEmbedded() {
		env = append(env, "BROKERS="+brokers)
		experimentsOnKafka.Lock() // the experiment's topics and groups have fixed names
		defer experimentsOnKafka.Unlock()
	}
	printed := makeIn(t, t.TempDir(), env, true, "experiment")
	for i, s := range scenarios {
		if !strings.Contains(printed, fmt.Sprintf("[%d/%d] %s:", i+1, len(scenarios), s.Name)) {
			t.Errorf("no progress line for %s:\n%s", s.Name, printed)
		}
	}

	f, err := os.Open(filepath.Join(out, "results.csv"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	want := "scenario,strategy,processed,unique,duplicates,lost,commits,failed_commits,seconds,verdict"
	if got := strings.Join(rows[0], ","); !strings.HasPrefix(got, want) {
		t.Fatalf("header %q, want it to start with %q", got, want)
	}
	if len(rows)-1 != 3*len(scenarios) {
		t.Fatalf("%d rows, want %d", len(rows)-1, 3*len(scenarios))
	}
	md, err := os.ReadFile(filepath.Join(out, "results.md"))
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range scenarios {
		if !strings.Contains(string(md), "## "+s.Name+"\n\n**The lesson texts:** "+s.Claim) {
			t.Errorf("results.md lacks %s's claim", s.Name)
		}
	}
	col := map[string]int{}
	for i, name := range rows[0] {
		col[name] = i
	}
	skipped := 0
	for _, r := range rows[1:] {
		cell := r[col["scenario"]] + "/" + r[col["strategy"]]
		verdict := r[col["verdict"]]
		if strings.HasPrefix(verdict, "skipped") {
			skipped++
			if onEmbedded() {
				t.Errorf("%s skipped on the embedded broker: %s", cell, verdict)
			}
			continue
		}
		if r[col["ok"]] != "true" {
			t.Errorf("%s: verdict failed: %s", cell, verdict)
		}
		n := func(c string) int { v, _ := strconv.Atoi(r[col[c]]); return v }
		if n("processed") != n("unique")+n("duplicates") {
			t.Errorf("%s: processed %d != unique %d + duplicates %d", cell, n("processed"), n("unique"), n("duplicates"))
		}
		if !strings.Contains(string(md), "| "+r[col["scenario"]]+" | "+r[col["strategy"]]+" | "+r[col["processed"]]+" | ") {
			t.Errorf("results.md's table has no row for %s with processed=%s", cell, r[col["processed"]])
		}
		// The cell's picture carries its processed log, mark for line.
		svg := filepath.Join(out, r[col["timeline"]])
		marks, _, _, _, _ := parseSVG(t, svg)
		entries, err := processedlog.ReadFile(filepath.Join(filepath.Dir(svg), "processed.log"))
		if err != nil {
			t.Fatal(err)
		}
		if len(marks) != len(entries) || len(entries) != n("processed") {
			t.Errorf("%s: %d marks, %d processed-log lines, %d in the table", cell, len(marks), len(entries), n("processed"))
		}
	}
	if onEmbedded() {
		docsShowTheRun(t, rows, col)
	}
	if !onEmbedded() && skipped != 6 {
		t.Errorf("on Kafka %d cells were skipped, want broker-restart's and commit-fail's 6", skipped)
	}
	if t.Failed() {
		t.Logf("experiment printed:\n%s", printed)
	}
}

// experimentsOnKafka: one experiment at a time on the suite's shared Kafka
// (on the embedded broker each starts a broker of its own).
var experimentsOnKafka sync.Mutex

// A scenario or strategy that does not exist is named, with the ones that do.
func TestExperimentRefusesUnknownNames(t *testing.T) {
	t.Parallel()
	l := newLab(t)
	p := l.run(2, "experiment", "SCENARIOS=crash,explode", "OUT="+l.path("x"))
	if !strings.Contains(p.output(), `SCENARIOS: no "explode"; there are crash, sigkill`) {
		t.Errorf("unknown scenario: %s", p.output())
	}
	p = l.run(2, "experiment", "STRATEGIES=sync,yolo", "OUT="+l.path("x"))
	if !strings.Contains(p.output(), `STRATEGIES: no "yolo"; there are auto, sync, async`) {
		t.Errorf("unknown strategy: %s", p.output())
	}
	if _, err := os.Stat(l.path("x")); err == nil {
		t.Error("a refused experiment wrote its folder")
	}
}

// The cells whose numbers do not depend on timing (which verdicts pin) are
// the same in docs/experiment.md's table as in a run of the experiment.
func docsShowTheRun(t *testing.T, rows [][]string, col map[string]int) {
	t.Helper()
	fixed := []string{"crash/auto", "crash/sync", "commit-fail/auto", "commit-fail/sync", "commit-fail/async",
		"ctrl-c/sync", "ctrl-c/async", "new-group-latest/auto", "new-group-latest/sync", "new-group-latest/async",
		"new-group-earliest/auto", "new-group-earliest/sync", "new-group-earliest/async", "greedy/auto", "greedy/sync"}
	docs, err := os.ReadFile(filepath.Join(root, "docs", "experiment.md"))
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range rows[1:] {
		cell := r[col["scenario"]] + "/" + r[col["strategy"]]
		if !slices.Contains(fixed, cell) {
			continue
		}
		row := fmt.Sprintf("| %s | %s | %s | %s | %s | %s |", r[col["scenario"]], r[col["strategy"]], r[col["processed"]], r[col["unique"]], r[col["duplicates"]], r[col["lost"]])
		if !strings.Contains(string(docs), row) {
			t.Errorf("docs/experiment.md has no row starting %q", row)
		}
	}
}

// Ctrl+C stops an experiment in the middle: exit 130, its consumers and the
// broker it started are gone, nothing half-written is left as results.
func TestExperimentCtrlC(t *testing.T) {
	t.Parallel()
	l := newLab(t)
	out := l.path("x")
	// BROKERS empty: the experiment starts its own broker.
	p := l.start("experiment", "BROKERS=", "SCENARIOS=sigkill", "OUT="+out)
	started := p.waitFor("started the embedded broker on ", 30*time.Second)
	p.waitFor("[1/1] sigkill:", 30*time.Second)
	time.Sleep(time.Second)
	p.signal(syscall.SIGINT)
	if code := p.wait(30 * time.Second); code != 130 {
		t.Fatalf("exit %d after SIGINT, want 130:\n%s", code, p.output())
	}
	if !strings.Contains(p.output(), "experiment: stopped by a signal") {
		t.Errorf("no word on the stop:\n%s", p.output())
	}
	addr := regexp.MustCompile(`on (127\.0\.0\.1:\d+)`).FindStringSubmatch(started)
	if addr == nil {
		t.Fatalf("no broker address in %q", started)
	}
	if out, err := exec.Command(filepath.Join(binDir, "admin"), "ping", "-brokers", addr[1]).CombinedOutput(); err == nil {
		t.Errorf("the experiment's broker still answers after Ctrl+C: %s", out)
	}
	if _, err := os.Stat(filepath.Join(out, "results.csv")); err == nil {
		t.Error("a stopped experiment wrote results.csv")
	}
}

// make experiment SCENARIOS=coordinator-failover: a three-node Apache Kafka
// of its own, the broker coordinating all three groups SIGKILLed mid-run and
// started again; every strategy loses nothing, repeats nothing, and ends
// with everything committed, its commits having failed while the
// coordinator moved. Needs Java: `make test-kafka` plays it.
func TestCoordinatorFailoverExperiment(t *testing.T) {
	if os.Getenv("LAB_TEST_BROKER_KIND") != "jvm-kafka" {
		t.Skip("starts a three-node Apache Kafka from the jars: `make test-kafka` plays it")
	}
	t.Parallel()
	threeNodes.Lock() // one three-node cluster at a time: 2 cores
	defer threeNodes.Unlock()
	out := t.TempDir()
	// What each run printed, if the experiment fails: its folder goes with
	// the test.
	defer func() {
		if t.Failed() {
			runs, _ := filepath.Glob(filepath.Join(out, "coordinator-failover", "*", "run-*.out"))
			logs, _ := filepath.Glob(filepath.Join(out, "kafka-cluster.log"))
			for _, f := range append(runs, logs...) {
				b, _ := os.ReadFile(f)
				t.Logf("--- %s (end):\n%s", f, b[max(0, len(b)-3000):])
			}
		}
	}()
	printed := makeIn(t, t.TempDir(), cleanEnv("OUT="+out, "SCENARIOS=coordinator-failover"), true, "experiment")
	if !strings.Contains(printed, "[1/1] coordinator-failover: starting a three-node Apache Kafka") ||
		!strings.Contains(printed, "on a three-node Apache Kafka the experiment starts") {
		t.Errorf("the progress lines do not say what runs where:\n%s", printed)
	}
	f, err := os.Open(filepath.Join(out, "results.csv"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, err := csv.NewReader(f).ReadAll()
	if err != nil || len(rows) != 4 {
		t.Fatalf("results.csv: %v, %d rows:\n%s", err, len(rows), printed)
	}
	col := map[string]int{}
	for i, name := range rows[0] {
		col[name] = i
	}
	for _, r := range rows[1:] {
		n := func(c string) int { v, _ := strconv.Atoi(r[col[c]]); return v }
		cell := r[col["strategy"]]
		// auto-commit may repeat what it had not committed if kgo's group
		// session ended while the coordinator moved (seen once in CI); the
		// strategies that wait for their commits repeat nothing.
		if r[col["ok"]] != "true" || n("lost") != 0 || (cell != "auto" && n("duplicates") != 0) || n("unique") != 150 || n("window") != 0 {
			t.Errorf("%s: %v", cell, r)
		}
		// manual-sync and manual-async commit after every batch: some of
		// those commits met the dead coordinator.
		if cell != "auto" && n("failed_commits") == 0 {
			t.Errorf("%s: no commit failed while its coordinator was dead: %v", cell, r)
		}
	}
	md, err := os.ReadFile(filepath.Join(out, "results.md"))
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`its coordinator, broker (\d), SIGKILLed after 25 records; the cluster named broker (\d) [\d.]+ s later; broker (\d) back`).FindAllStringSubmatch(string(md), -1)
	if len(m) != 3 {
		t.Fatalf("results.md does not tell the failover for each strategy:\n%s", md)
	}
	for _, g := range m {
		if g[1] == g[2] || g[1] != g[3] || g[1] != m[0][1] {
			t.Errorf("failover told as %q: want one dead coordinator for all, another broker taking over, the same one back", g[0])
		}
	}
	// The cluster is stopped: no node's process is left.
	pids, _ := filepath.Glob(filepath.Join(out, "kafka-cluster", "node-*", "kafka.pid"))
	for _, p := range pids {
		b, _ := os.ReadFile(p)
		if pid, err := strconv.Atoi(strings.TrimSpace(string(b))); err == nil && alive(pid) {
			t.Errorf("node %s still runs after the experiment", p)
		}
	}
	if t.Failed() {
		t.Logf("experiment printed:\n%s", printed)
	}
}

// The rebalance scenarios under KIP-848: a second copy joining and leaving
// costs what it costs under the classic protocol (at most the batch in hand),
// and a commit that races the rebalance (the held copy, dropped after its
// rebalance timeout) is refused: the broker no longer knows the member,
// UNKNOWN_MEMBER_ID. On both brokers: the held copy is dropped whatever the
// machine's speed.
func TestExperimentRebalancesUnderKIP848(t *testing.T) {
	t.Parallel()
	out := t.TempDir()
	scenarios := []string{"rebalance", "slow"}
	kv := []string{"OUT=" + out, "GROUP_PROTOCOL=consumer", "SCENARIOS=rebalance,slow"}
	if !onEmbedded() {
		kv = append(kv, "BROKERS="+brokers)
		experimentsOnKafka.Lock()
		defer experimentsOnKafka.Unlock()
	}
	l := newLab(t)
	p := l.run(0, "experiment", kv...)
	if !strings.Contains(p.output(), "GROUP_PROTOCOL=consumer") {
		t.Errorf("the experiment must say it ran under GROUP_PROTOCOL=consumer:\n%s", p.output())
	}
	f, err := os.Open(filepath.Join(out, "results.csv"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, err := csv.NewReader(f).ReadAll()
	if err != nil || len(rows) != 1+3*len(scenarios) {
		t.Fatalf("results.csv: %v, %d rows:\n%s", err, len(rows), p.output())
	}
	for _, r := range rows[1:] {
		if r[0] == "slow" && r[7] == "0" {
			t.Errorf("slow %s: no failed commit, so nothing raced the rebalance: %v", r[1], r)
		}
	}
	for _, bin := range []string{"auto", "sync", "async"} {
		outs, _ := filepath.Glob(filepath.Join(out, "slow", bin, "run-*.out"))
		var all strings.Builder
		for _, o := range outs {
			b, _ := os.ReadFile(o)
			all.Write(b)
		}
		if !strings.Contains(all.String(), "commit FAILED") || !strings.Contains(all.String(), "UNKNOWN_MEMBER_ID") {
			t.Errorf("slow %s: want its refused commit to say UNKNOWN_MEMBER_ID:\n%s", bin, all.String())
		}
	}
}
