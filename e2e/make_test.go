package e2e

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
)

// makeIn runs `make -f <lab>/Makefile args...` in dir, as a learner would
// from their own folder, and returns its output. TestMain has run make
// build: the targets find bin/ up to date.
func makeIn(t *testing.T, dir string, env []string, wantOK bool, args ...string) string {
	t.Helper()
	return makeWith(t, filepath.Join(root, "Makefile"), dir, env, wantOK, args...)
}

// makeWith runs `make -f makefile args...` in dir.
func makeWith(t *testing.T, makefile, dir string, env []string, wantOK bool, args ...string) string {
	t.Helper()
	cmd := exec.Command("make", append([]string{"-s", "--no-print-directory", "-f", makefile}, args...)...)
	cmd.Dir = dir
	cmd.Env = env
	out, err := cmd.CombinedOutput()
	if (err == nil) != wantOK {
		t.Fatalf("make %v: %v\n%s", args, err, out)
	}
	return string(out)
}

func TestMakeHelpListsEveryTargetAndVariable(t *testing.T) {
	t.Parallel()
	help := makeIn(t, t.TempDir(), cleanEnv(), true) // the default goal
	mk, err := os.ReadFile(filepath.Join(root, "Makefile"))
	if err != nil {
		t.Fatal(err)
	}
	// A consumer's targets are pattern rules (run-%), listed once as run-NAME.
	for _, m := range regexp.MustCompile(`(?m)^([a-z][a-z%-]*):`).FindAllStringSubmatch(string(mk), -1) {
		name := strings.ReplaceAll(m[1], "%", "NAME")
		if !regexp.MustCompile(`(?m)^  ` + name + ` `).MatchString(help) {
			t.Errorf("make help does not list target %s", name)
		}
	}
	for _, v := range labVars {
		if strings.HasPrefix(v, "LAB_") {
			continue
		}
		if !regexp.MustCompile(`(?m)^  ` + v + ` `).MatchString(help) {
			t.Errorf("make help does not list variable %s", v)
		}
	}
}

// Every consumer has every consumer target: each runs the command it should
// (make -n prints it without running it), and a name that is no consumer is
// refused with the list of those that are.
func TestMakeTargetsForEveryConsumer(t *testing.T) {
	t.Parallel()
	help := makeIn(t, t.TempDir(), cleanEnv(), true, "help")
	m := regexp.MustCompile(`(?m)^NAME is a consumer: (.+)$`).FindStringSubmatch(help)
	if m == nil {
		t.Fatalf("make help names no consumers:\n%s", help)
	}
	consumers := strings.Fields(m[1])
	if len(consumers) != 12 {
		t.Fatalf("make help names %d consumers, want the lab's 7 and the other clients' 5: %v", len(consumers), consumers)
	}
	folder := map[string]string{"auto": "auto-commit", "sync": "manual-sync", "async": "manual-async"}
	// The other clients' consumers: their binary is bin/NAME, their main.go under clients/.
	source := map[string]string{
		"kafkago-read": "clients/kafka-go/read-message", "kafkago-fetch": "clients/kafka-go/fetch-commit",
		"confluent-auto": "clients/confluent/auto-store", "confluent-store": "clients/confluent/store-after-work",
		"confluent-commit": "clients/confluent/commit-each",
	}
	count := map[string]string{"share": "count-share", "idempotent": "count-effects", "db-offsets": "count-effects", "transactional": "count-output"}
	for _, c := range consumers {
		bin := folder[c]
		if bin == "" {
			bin = c
		}
		src := source[c]
		if src == "" {
			src = bin
		}
		if _, err := os.Stat(filepath.Join(root, src, "main.go")); err != nil {
			t.Errorf("consumer %s: no %s/main.go: %v", c, src, err)
		}
		cmd := count[c]
		if cmd == "" {
			cmd = "count"
		}
		group := "-group kitchen-" + c
		want := map[string]string{
			"run-" + c:                 filepath.Join(binDir, bin) + "\n",
			"count-" + c:               "admin " + cmd + " " + group + " -log processed-" + c + ".log",
			"timeline-" + c:            "timeline -log processed-" + c + ".log -events events-" + c + ".jsonl -out timeline-" + c + ".svg",
			"group-describe-" + c:      "admin group-describe " + group,
			"group-coordinator-" + c:   "admin group-coordinator " + group,
			"group-watch-" + c:         "admin group-watch " + group,
			"group-reset-" + c:         "admin group-reset " + group,
			"group-remove-member-" + c: "admin group-remove-member " + group,
			"group-delete-" + c:        "admin group-delete " + group,
		}
		for target, cmdline := range want {
			if out := makeIn(t, t.TempDir(), cleanEnv(), true, "-n", target); !strings.Contains(out, cmdline) {
				t.Errorf("make -n %s does not run %q:\n%s", target, cmdline, out)
			}
		}
	}
	if out := makeIn(t, t.TempDir(), cleanEnv(), false, "-n", "count-nosuch"); !strings.Contains(out, "unknown consumer 'nosuch': the consumers are "+m[1]) {
		t.Errorf("make count-nosuch:\n%s", out)
	}
}

// The defaults `make help` states are the binaries' own.
func TestHelpDefaultsMatchTheBinaries(t *testing.T) {
	t.Parallel()
	help := makeIn(t, t.TempDir(), cleanEnv(), true, "help")
	stated := map[string]string{}
	for _, m := range regexp.MustCompile(`(?m)^  ([A-Z_]+) +(\S+)`).FindAllStringSubmatch(help, -1) {
		stated[m[1]] = m[2]
	}
	usage := ""
	for _, b := range [][]string{{"auto-commit", "-h"}, {"manual-async", "-h"}, {"kafkago-read", "-h"}, {"seed", "-h"}, {"broker", "-h"}, {"broker", "fault-commit", "-h"}, {"admin", "count", "-h"}} {
		out, err := exec.Command(filepath.Join(binDir, b[0]), b[1:]...).CombinedOutput()
		if err != nil {
			t.Fatalf("%v: %v\n%s", b, err, out)
		}
		usage += string(out)
	}
	defaults := map[string][]string{}
	for _, m := range regexp.MustCompile(`(?m)^\s+-\S+\s+([A-Z_]+)\s.*\(default "([^"]*)"\)$`).FindAllStringSubmatch(usage, -1) {
		defaults[m[1]] = append(defaults[m[1]], m[2])
	}
	checks := map[string]string{ // variable -> the default the help must state (first word)
		"BROKERS": "", "TOPIC": "", "INSTANCE": "", "CRASH": "", "WORK_DELAY": "", "MAX_POLL_RECORDS": "",
		"GREEDY": "", "CRASH_WHEN": "", "SEED_MESSAGES": "", "PARTITIONS": "", "BROKER_PORT": "", "BROKER_DATA": "",
		"EXECUTE": "", "PARTITION": "", "INTERVAL": "", "ONCE": "", "COUNT": "", "DELAY": "",
	}
	for v := range checks {
		ds := defaults[v]
		if len(ds) == 0 {
			t.Errorf("no binary shows a default for %s", v)
			continue
		}
		for _, d := range ds {
			if d != stated[v] {
				t.Errorf("%s: make help says %q, a binary's -h says %q", v, stated[v], d)
			}
		}
	}
	// The two that differ by strategy are stated as such.
	if !strings.Contains(help, "2s auto, 500ms async") || !strings.Contains(strings.Join(defaults["COMMIT_EVERY"], " "), "2s") || !strings.Contains(strings.Join(defaults["COMMIT_EVERY"], " "), "500ms") {
		t.Errorf("COMMIT_EVERY defaults: help vs %v", defaults["COMMIT_EVERY"])
	}
}

// The README's lesson walk-through, through make, from a learner's own folder
// (on a LEARNER's topic and groups, so that make fresh touches no other
// test's).
func TestLessonWalkthroughWithMake(t *testing.T) {
	t.Parallel()
	l := newLab(t)
	learner := fmt.Sprintf("walk%d%d", os.Getpid(), labSeq.Add(1))
	l.topic = "brew.orders.v1." + learner
	env := cleanEnv("BROKERS="+l.brokers, "LEARNER="+learner, "IDLE_EXIT=1s")
	dir := l.dir
	// A used folder: logs of an earlier run, which make fresh clears.
	os.WriteFile(filepath.Join(dir, "processed-auto.log"), []byte("old\n"), 0o644)
	os.WriteFile(filepath.Join(dir, "events-auto.jsonl"), []byte("old\n"), 0o644)
	out := makeIn(t, dir, env, true, "fresh")
	for _, want := range []string{
		"seeded 30 orders into " + l.topic + " (acks=all): p0=10 (offsets 0-9) p1=10 (offsets 0-9) p2=10 (offsets 0-9)",
		"fresh: removed this folder's processed-*.log and events-*.jsonl; the lab is at the lesson's start",
	} {
		if !strings.Contains(out, want) {
			t.Fatalf("make fresh does not say %q:\n%s", want, out)
		}
	}
	for _, f := range []string{"processed-auto.log", "events-auto.jsonl"} {
		if _, err := os.Stat(filepath.Join(dir, f)); !os.IsNotExist(err) {
			t.Fatalf("make fresh left %s", f)
		}
	}

	crash := makeIn(t, dir, env, false, "run-auto", "CRASH=10")
	if !strings.Contains(crash, "CRASH=10 reached") || !strings.Contains(crash, "summary strategy=auto-commit processed=10 commits=0") {
		t.Fatalf("run-auto CRASH=10:\n%s", crash)
	}
	if out := makeIn(t, dir, env, true, "group-describe-auto"); !regexp.MustCompile(`(?m)^  p0 +- +0 +10 +10$`).MatchString(out) {
		t.Fatalf("after the crash nothing is committed; group-describe-auto:\n%s", out)
	}
	makeIn(t, dir, env, true, "run-auto")
	first := strings.SplitN(makeIn(t, dir, env, true, "count-auto"), "\n", 2)[0]
	if first != "processed-auto.log: total=40 unique-offsets=30 duplicates=10 lost=0" {
		t.Fatalf("count-auto: %q", first)
	}
	if out := makeIn(t, dir, env, true, "group-describe-auto"); !strings.Contains(out, "state Empty, protocol classic, 0 member(s)") || !strings.Contains(out, "total lag 0") {
		t.Fatalf("after the recovery: group-describe-auto:\n%s", out)
	}
	if out := makeIn(t, dir, env, true, "timeline-auto"); strings.TrimSpace(regexp.MustCompile(`(?m)^building bin/\S+\n`).ReplaceAllString(out, "")) != "wrote timeline-auto.svg and timeline-auto.html: 2 run(s), processed-auto.log: total=40 unique-offsets=30 duplicates=10 lost=0" {
		t.Fatalf("timeline-auto:\n%s", out)
	}
	if _, err := os.Stat(filepath.Join(dir, "timeline-auto.html")); err != nil {
		t.Fatal(err)
	}

	makeIn(t, dir, env, true, "fresh")
	makeIn(t, dir, env, false, "run-sync", "CRASH=10")
	makeIn(t, dir, env, true, "run-sync")
	if first := strings.SplitN(makeIn(t, dir, env, true, "count-sync"), "\n", 2)[0]; first != "processed-sync.log: total=35 unique-offsets=30 duplicates=5 lost=0" {
		t.Fatalf("count-sync: %q", first)
	}
	makeIn(t, dir, env, false, "run-async", "CRASH=10")
	makeIn(t, dir, env, true, "run-async")
	c := parseCount(t, makeIn(t, dir, env, true, "count-async"))
	if c.lost != 0 || c.unique != 30 || c.duplicates > 5 {
		t.Fatalf("count-async:\n%s", c.out)
	}
	// The loss, from make fresh.
	makeIn(t, dir, env, true, "fresh")
	makeIn(t, dir, env, false, "run-auto", "GREEDY=1", "MAX_POLL_RECORDS=0", "WORK_DELAY=200ms", "CRASH=20")
	makeIn(t, dir, env, true, "run-auto")
	if first := strings.SplitN(makeIn(t, dir, env, true, "count-auto"), "\n", 2)[0]; first != "processed-auto.log: total=20 unique-offsets=20 duplicates=0 lost=10" {
		t.Fatalf("the loss: count-auto: %q", first)
	}

	makeIn(t, dir, env, true, "group-delete-auto")
	if out := makeIn(t, dir, env, true, "group-describe-auto"); !strings.Contains(out, "state Dead") || !regexp.MustCompile(`(?m)^  p0 +- +0 +10 +10$`).MatchString(out) {
		t.Fatalf("after group-delete-auto the whole topic is lag again:\n%s", out)
	}
	makeIn(t, dir, env, true, "group-delete-all")
}

var demoRow = regexp.MustCompile(`(?m)^(auto-commit|manual-sync|manual-async|auto-greedy|idempotent|db-offsets|transactional) +(\d+) +(\d+) +(\d+) +(\d+) +(\d+) +(\d+|-) +(\d+|-)$`)

// `make demo` on a machine with no broker: it starts the embedded one, plays
// the four scenarios and prints the table the README shows. Against real
// Kafka (LAB_TEST_BROKERS) it uses that broker instead. It runs as `make
// pictures`, which is the demo and then its timelines copied out: the
// README's pictures (docs/timeline-*.svg) must still match such a run.
func TestMakeDemo(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("-short")
	}
	target := "127.0.0.1:" + strconv.Itoa(freePort())
	if !onEmbedded() {
		target = brokers
	}
	pictures := t.TempDir()
	out := makeIn(t, t.TempDir(), cleanEnv("BROKERS="+target, "PICTURES="+pictures), true, "pictures")
	if onEmbedded() && !strings.Contains(out, "started the embedded broker on "+target) ||
		!onEmbedded() && !strings.Contains(out, "using the broker at "+target) {
		t.Fatalf("demo did not say which broker it used:\n%s", out)
	}
	rows := map[string][7]int{}
	for _, m := range demoRow.FindAllStringSubmatch(out, -1) {
		var r [7]int
		for i := range r {
			var err error
			if r[i], err = strconv.Atoi(m[i+2]); err != nil {
				r[i] = -1 // "-": no database
			}
		}
		rows[m[1]] = r
	}
	if len(rows) != 7 {
		t.Fatalf("want 7 rows:\n%s", out)
	}
	const processed, unique, dups, lost, commits, effects, dupEffects = 0, 1, 2, 3, 4, 5, 6
	for _, name := range []string{"auto-commit", "manual-sync", "manual-async", "auto-greedy"} {
		if r := rows[name]; r[effects] != -1 || r[dupEffects] != -1 {
			t.Errorf("%s has no database, yet its row shows effects %v", name, r)
		}
	}
	// Deliveries repeated, effects not: manual-sync's recipe and numbers,
	// and one ticket per order.
	if r := rows["idempotent"]; r != [7]int{35, 30, 5, 0, r[commits], 30, 0} || r[commits] < 6 {
		t.Errorf("idempotent row %v", r)
	}
	if r := rows["db-offsets"]; r != [7]int{30, 30, 0, 0, r[commits], 30, 0} || r[commits] < 6 {
		t.Errorf("db-offsets row %v", r)
	}
	// The crashed batch's transaction is aborted: its 5 deliveries repeat,
	// a read_committed reader sees each ticket once.
	if r := rows["transactional"]; r != [7]int{35, 30, 5, 0, r[commits], 30, 0} || r[commits] < 6 {
		t.Errorf("transactional row %v", r)
	}
	if r := rows["auto-commit"]; r != [7]int{40, 30, 10, 0, r[commits], -1, -1} || r[commits] < 1 {
		t.Errorf("auto-commit row %v", r)
	}
	// Batches of 5 come from one partition each, so the crash after 10
	// always falls after the first batch's commit and before the second's.
	if r := rows["manual-sync"]; r != [7]int{35, 30, 5, 0, r[commits], -1, -1} || r[commits] < 6 {
		t.Errorf("manual-sync row %v", r)
	}
	// The async timer may or may not have sent some marks of the second batch.
	if r := rows["manual-async"]; r[unique] != 30 || r[lost] != 0 || r[dups] > 5 || r[processed] != 30+r[dups] || r[commits] < 6 {
		t.Errorf("manual-async row %v", r)
	}
	if r := rows["auto-greedy"]; r[processed] != 20 || r[unique] != 20 || r[dups] != 0 || r[lost] != 10 {
		t.Errorf("auto-greedy row %v", r)
	}
	for _, s := range []string{"auto-commit:", "manual-sync:", "manual-async:", "auto-greedy:", "idempotent:", "db-offsets:", "transactional:"} {
		if !strings.Contains(out, "\n"+s) {
			t.Errorf("no line under the table for %s", s)
		}
	}
	if t.Failed() {
		t.Logf("demo output:\n%s", out)
	}
	for _, name := range []string{"auto-commit", "manual-sync", "manual-async", "auto-greedy"} {
		file := "timeline-" + name + ".svg"
		now, docs := svgStructure(t, filepath.Join(pictures, file)), svgStructure(t, filepath.Join(root, "docs", file))
		if name == "manual-async" {
			// How many marks the timer sent before the crash varies (0 to 5 repeat).
			now.again, docs.again = 0, 0
		}
		if now != docs {
			t.Errorf("docs/%s no longer matches a run of the demo (make pictures regenerates it):\nrun:  %+v\ndocs: %+v", file, now, docs)
		}
	}
	// The demo stops the broker it started.
	if _, err := exec.Command(filepath.Join(binDir, "admin"), "ping", "-brokers", target).CombinedOutput(); onEmbedded() && err == nil {
		t.Error("the demo's broker still answers after the demo")
	}
}

// The README shows what the tests pin: the count headlines, the seed line and
// the demo's rows (all but the commits column, which varies by a commit or two).
func TestReadmeShowsWhatTheTestsCheck(t *testing.T) {
	t.Parallel()
	b, err := os.ReadFile(filepath.Join(root, "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	readme := string(b)
	for _, line := range []string{
		"processed-auto.log: total=40 unique-offsets=30 duplicates=10 lost=0",
		"processed-sync.log: total=35 unique-offsets=30 duplicates=5 lost=0",
		"processed-auto.log: total=20 unique-offsets=20 duplicates=0 lost=10",
		"seeded 30 orders into brew.orders.v1 (acks=all): p0=10 (offsets 0-9) p1=10 (offsets 0-9) p2=10 (offsets 0-9)",
		"$ make demo", "$ make test",
	} {
		if !strings.Contains(readme, line) {
			t.Errorf("README lacks %q", line)
		}
	}
	want := map[string]string{"auto-commit": "40 30 10 0 - -", "manual-sync": "35 30 5 0 - -", "auto-greedy": "20 20 0 10 - -",
		"idempotent": "35 30 5 0 30 0", "db-offsets": "30 30 0 0 30 0", "transactional": "35 30 5 0 30 0"}
	for _, m := range demoRow.FindAllStringSubmatch(readme, -1) {
		if w, ok := want[m[1]]; ok {
			if got := strings.Join(append(m[2:6:6], m[7:9]...), " "); got != w {
				t.Errorf("README's demo row %s says %s, the demo test pins %s", m[1], got, w)
			}
			delete(want, m[1])
		}
	}
	for name := range want {
		t.Errorf("README has no demo row for %s", name)
	}
}

// docker-compose.yml runs the Kafka version the tests run from Maven.
func TestDockerComposeRunsTheTestedKafka(t *testing.T) {
	t.Parallel()
	compose, err := os.ReadFile(filepath.Join(root, "docker-compose.yml"))
	if err != nil {
		t.Fatal(err)
	}
	pom, err := os.ReadFile(filepath.Join(root, "scripts", "jvm-kafka", "pom.xml"))
	if err != nil {
		t.Fatal(err)
	}
	image := regexp.MustCompile(`image: apache/kafka:(\S+)`).FindSubmatch(compose)
	version := regexp.MustCompile(`<kafka.version>([^<]+)</kafka.version>`).FindSubmatch(pom)
	if image == nil || version == nil || string(image[1]) != string(version[1]) {
		t.Fatalf("docker-compose.yml image %q, scripts/jvm-kafka/pom.xml kafka.version %q", image, version)
	}
	for _, setting := range []string{"KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR: 1", "KAFKA_SHARE_COORDINATOR_STATE_TOPIC_REPLICATION_FACTOR: 1", "KAFKA_GROUP_INITIAL_REBALANCE_DELAY_MS: 0", `KAFKA_AUTO_CREATE_TOPICS_ENABLE: "false"`, `"127.0.0.1:9092:9092"`} {
		if !strings.Contains(string(compose), setting) {
			t.Errorf("docker-compose.yml lacks %s", setting)
		}
	}
}

// The effect consumers' default database is the lab's own .lab/kitchen.db,
// whatever folder make runs from, and make clean removes it. The lab here is
// a copy of the Makefile with the suite's binaries in its bin/ (newer than
// go.mod, so make builds nothing), so that clean removes nothing of the
// checkout's.
func TestDefaultDatabaseIsTheLabs(t *testing.T) {
	t.Parallel()
	l := newLab(t)
	l.seed(30)
	lab := filepath.Join(t.TempDir(), "lab")
	if err := os.MkdirAll(filepath.Join(lab, "bin"), 0o755); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{"Makefile", "go.mod", "go.sum"} {
		b, err := os.ReadFile(filepath.Join(root, f))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(lab, f), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	old := time.Now().Add(-time.Hour)
	for _, f := range []string{"go.mod", "go.sum"} {
		if err := os.Chtimes(filepath.Join(lab, f), old, old); err != nil {
			t.Fatal(err)
		}
	}
	for _, b := range []string{"idempotent", "db-offsets", "admin"} {
		exe, err := os.ReadFile(filepath.Join(binDir, b))
		if err == nil {
			err = os.WriteFile(filepath.Join(lab, "bin", b), exe, 0o755)
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	makefile := filepath.Join(lab, "Makefile")
	// No DATABASE_URL: cleanEnv drops the suite's own.
	env := cleanEnv("BROKERS="+l.brokers, "TOPIC="+l.topic, "IDLE_EXIT=1s", "WORK_DELAY=0")
	for _, consumer := range []string{"idempotent", "db-offsets"} {
		group := l.group + "-" + consumer
		run := makeWith(t, makefile, l.dir, append(env, "GROUP="+group), true, "run-"+consumer)
		if !strings.Contains(run, "DATABASE_URL=sqlite:"+lab+"/.lab/kitchen.db") {
			t.Errorf("run-%s does not say it writes to %s/.lab/kitchen.db:\n%s", consumer, lab, run)
		}
		count := makeWith(t, makefile, l.dir, append(env, "GROUP="+group), true, "count-"+consumer)
		if !strings.Contains(count, "effects=30 unique-orders=30 duplicate-effects=0 missing=0") {
			t.Errorf("count-%s does not find the run's 30 tickets in the default database:\n%s", consumer, count)
		}
	}
	if _, err := os.Stat(filepath.Join(lab, ".lab", "kitchen.db")); err != nil {
		t.Fatalf("no database in the lab's .lab/: %v", err)
	}
	for _, stray := range []string{lab + ".lab", filepath.Join(l.dir, ".lab")} {
		if _, err := os.Stat(stray); err == nil {
			t.Errorf("the default database wrote %s, outside the lab's own .lab/", stray)
		}
	}
	makeWith(t, makefile, l.dir, env, true, "clean")
	if _, err := os.Stat(filepath.Join(lab, ".lab", "kitchen.db")); !os.IsNotExist(err) {
		t.Errorf("make clean left the default database: %v", err)
	}
}

// `make fresh` puts the lab back to the lesson's start from any state: the
// topic made again with 30 orders (not appended to), every consumer's group
// deleted, this folder's logs removed; a run after it reads the 30 once.
func TestMakeFresh(t *testing.T) {
	t.Parallel()
	l := newLab(t)
	learner := fmt.Sprintf("fresh%d%d", os.Getpid(), labSeq.Add(1))
	l.topic, l.group = "brew.orders.v1."+learner, "kitchen-sync-"+learner
	env := cleanEnv("BROKERS="+l.brokers, "LEARNER="+learner, "IDLE_EXIT=1s", "WORK_DELAY=1ms",
		"DATABASE_URL=sqlite:"+filepath.Join(t.TempDir(), "kitchen.db"))
	dir := l.dir
	// A used lab: 60 orders, a group committed to the end, its logs.
	makeIn(t, dir, env, true, "topic-create")
	makeIn(t, dir, env, true, "topic-load")
	makeIn(t, dir, env, true, "topic-load")
	makeIn(t, dir, env, true, "run-sync")
	if got := sum(l.committed()); got != 60 {
		t.Fatalf("before fresh: the group committed %d, want 60", got)
	}

	out := makeIn(t, dir, env, true, "fresh")
	for _, want := range []string{
		"deleted topic " + l.topic,
		"seeded 30 orders into " + l.topic + " (acks=all): p0=10 (offsets 0-9) p1=10 (offsets 0-9) p2=10 (offsets 0-9)",
		"deleted group " + l.group + ":",
		"removed this folder's processed-*.log and events-*.jsonl",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("make fresh does not say %q:\n%s", want, out)
		}
	}
	for _, f := range []string{"processed-sync.log", "events-sync.jsonl"} {
		if _, err := os.Stat(filepath.Join(dir, f)); !os.IsNotExist(err) {
			t.Errorf("make fresh left %s", f)
		}
	}
	for p, r := range l.ranges() {
		if r.Start != 0 || r.End != 10 {
			t.Errorf("p%d holds offsets %d-%d after make fresh, want 0-9", p, r.Start, r.End-1)
		}
	}
	if c := l.committed(); len(c) != 0 {
		t.Errorf("the group still has %v committed after make fresh", c)
	}
	makeIn(t, dir, env, true, "run-sync")
	if c := l.count(filepath.Join(dir, "processed-sync.log")); c.total != 30 || c.unique != 30 || c.lost != 0 {
		t.Errorf("a run after make fresh:\n%s", c.out)
	}
}
