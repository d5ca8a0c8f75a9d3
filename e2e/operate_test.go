package e2e

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// Operating offsets, the way kafka-consumer-groups does: resets (dry run by
// default), lag watching, removing a crashed static member.

var resetRow = regexp.MustCompile(`(?m)^  p(\d+) +(\S+) +(\d+) +(\d+) +(\d+)  (.+)$`)

// resetPlan runs group-reset and returns partition -> "new change".
func (l *lab) resetPlan(kv ...string) (map[int32]string, string) {
	l.t.Helper()
	out := l.admin("group-reset", kv...).output()
	plan := map[int32]string{}
	for _, m := range resetRow.FindAllStringSubmatch(out, -1) {
		p, _ := strconv.Atoi(m[1])
		plan[int32(p)] = m[3] + " " + m[6]
	}
	return plan, out
}

// finished seeds the lab's topic and runs manual-sync over it to the end, so
// the group has committed every offset and no members.
func (l *lab) finished(n int) {
	l.t.Helper()
	l.seed(n)
	l.run(0, "manual-sync", "LOG="+l.path("first.log"), "IDLE_EXIT=1s", "WORK_DELAY=1ms")
}

func TestResetFormsAndDryRun(t *testing.T) {
	t.Parallel()
	l := newLab(t)
	before := time.Now().Add(-time.Second)
	l.finished(30) // offsets 0-9 in each partition, all committed
	time.Sleep(1500 * time.Millisecond)
	middle := time.Now()
	time.Sleep(100 * time.Millisecond)
	l.run(0, "seed", "SEED_MESSAGES=30") // offsets 10-19, produced after `middle`
	committed := l.committed()

	tests := []struct {
		to   string
		want map[int32]string // partition -> "new change"
		note string
	}{
		{"earliest", map[int32]string{0: "0 +10 replayed", 1: "0 +10 replayed", 2: "0 +10 replayed"}, ""},
		{"latest", map[int32]string{0: "20 -10 skipped", 1: "20 -10 skipped", 2: "20 -10 skipped"}, ""},
		{"shift:-3", map[int32]string{0: "7 +3 replayed", 1: "7 +3 replayed", 2: "7 +3 replayed"}, ""},
		{"shift:+4", map[int32]string{0: "14 -4 skipped", 1: "14 -4 skipped", 2: "14 -4 skipped"}, ""},
		{"shift:+15", map[int32]string{0: "20 -10 skipped", 1: "20 -10 skipped", 2: "20 -10 skipped"}, "25 is past the log end: clamped to 20"},
		{"shift:-15", map[int32]string{0: "0 +10 replayed", 1: "0 +10 replayed", 2: "0 +10 replayed"}, "-5 is before the log start: clamped to 0"},
		{"offset:12", map[int32]string{0: "12 -2 skipped", 1: "12 -2 skipped", 2: "12 -2 skipped"}, ""},
		{"offset:42", map[int32]string{0: "20 -10 skipped", 1: "20 -10 skipped", 2: "20 -10 skipped"}, "42 is past the log end: clamped to 20"},
		{"datetime:" + before.UTC().Format(time.RFC3339Nano), map[int32]string{0: "0 +10 replayed", 1: "0 +10 replayed", 2: "0 +10 replayed"}, ""},
		{"datetime:" + middle.UTC().Format(time.RFC3339Nano), map[int32]string{0: "10 0", 1: "10 0", 2: "10 0"}, ""},
		{"datetime:2099-01-01T00:00:00Z", map[int32]string{0: "20 -10 skipped", 1: "20 -10 skipped", 2: "20 -10 skipped"}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.to, func(t *testing.T) {
			plan, out := l.resetPlan("TO=" + tt.to)
			if fmt.Sprint(plan) != fmt.Sprint(tt.want) {
				t.Errorf("plan %v, want %v\n%s", plan, tt.want, out)
			}
			if !strings.Contains(out, "DRY RUN: nothing changes") || (tt.note != "" && !strings.Contains(out, tt.note)) {
				t.Errorf("output lacks the dry-run or clamp note %q:\n%s", tt.note, out)
			}
			if now := l.committed(); fmt.Sprint(now) != fmt.Sprint(committed) {
				t.Fatalf("a dry run changed the committed offsets from %v to %v", committed, now)
			}
		})
	}

	// One partition only, applied.
	plan, out := l.resetPlan("TO=offset:3", "PARTITION=1", "EXECUTE=1")
	if len(plan) != 1 || plan[1] != "3 +7 replayed" || !strings.Contains(out, "applied: group "+l.group+" now has committed p1→3") {
		t.Fatalf("PARTITION=1 reset:\n%s", out)
	}
	if now := l.committed(); now[0] != 10 || now[1] != 3 || now[2] != 10 {
		t.Fatalf("after resetting p1 only: %v", now)
	}
}

func TestResetBadTO(t *testing.T) {
	t.Parallel()
	l := newLab(t)
	for _, to := range []string{"", "yesterday", "shift:0", "datetime:2026-05-01"} {
		p := l.startArgs("admin", []string{"group-reset"}, "TO="+to)
		if code := p.wait(10 * time.Second); code != 2 || !strings.Contains(p.output(), "earliest, latest, datetime:2026-05-01T00:00:00Z, shift:-10, shift:+10, offset:42") {
			t.Errorf("TO=%q: exit %d, want 2 and the accepted forms:\n%s", to, code, p.output())
		}
	}
}

// Like Kafka, a reset is refused while the group has members, naming them;
// a crashed static member can be removed at once and the reset then works.
func TestResetRefusedWhileTheGroupHasMembers(t *testing.T) {
	t.Parallel()
	l := newLab(t)
	l.seed(30)
	p := l.start("manual-sync", "LOG="+l.path("p.log"), "WORK_DELAY=300ms")
	p.waitFor("processed p", 20*time.Second)
	r := l.startArgs("admin", []string{"group-reset"}, "TO=earliest")
	if code := r.wait(10 * time.Second); code != 2 || !strings.Contains(r.output(), "has 1 member(s): "+l.group+"-1") ||
		!strings.Contains(r.output(), "Kafka refuses to reset the offsets of a group with members") {
		t.Fatalf("reset with a running consumer: exit %d\n%s", code, r.output())
	}
	p.signal(syscall.SIGKILL) // crash: the member stays until its session times out
	p.wait(10 * time.Second)
	r = l.startArgs("admin", []string{"group-reset"}, "TO=earliest")
	if code := r.wait(10 * time.Second); code != 2 || !strings.Contains(r.output(), "crashed stays until its session times out") ||
		!strings.Contains(r.output(), "`make group-remove-member GROUP="+l.group+" INSTANCE=1`") {
		t.Fatalf("reset after a crash: exit %d\n%s", code, r.output())
	}
	rm := l.admin("group-remove-member", "INSTANCE=1")
	if !strings.Contains(rm.output(), "removed member "+l.group+"-1") {
		t.Fatalf("remove-member:\n%s", rm.output())
	}
	if _, out := l.resetPlan("TO=earliest", "EXECUTE=1"); !strings.Contains(out, "applied") {
		t.Fatalf("reset after removing the member:\n%s", out)
	}
	miss := l.startArgs("admin", []string{"group-remove-member"}, "INSTANCE=7")
	if code := miss.wait(10 * time.Second); code != 2 || !strings.Contains(miss.output(), "has no member "+l.group+"-7") {
		t.Fatalf("removing a member that is not there: exit %d\n%s", code, miss.output())
	}
}

// After TO=earliest EXECUTE=1 a run re-reads the whole topic, and count shows it.
func TestResetToEarliestReplaysTheTopic(t *testing.T) {
	t.Parallel()
	l := newLab(t)
	l.seed(30)
	log := l.path("p.log")
	l.run(0, "manual-async", "LOG="+log, "IDLE_EXIT=1s", "WORK_DELAY=1ms")
	if c := l.count(log); c.total != 30 || c.duplicates != 0 {
		t.Fatalf("first run:\n%s", c.out)
	}
	l.resetPlan("TO=earliest", "EXECUTE=1")
	l.run(0, "manual-async", "LOG="+log, "IDLE_EXIT=1s", "WORK_DELAY=1ms")
	if c := l.count(log); c.total != 60 || c.unique != 30 || c.duplicates != 30 || c.lost != 0 {
		t.Fatalf("after the reset to earliest, want total=60 duplicates=30:\n%s", c.out)
	}
}

// After shift:+5 exactly 5 records per partition are skipped, and count
// reports them as lost: offsets 0-4 of each partition.
func TestShiftSkipsAndCountReportsLost(t *testing.T) {
	t.Parallel()
	l := newLab(t)
	l.seed(30)
	plan, _ := l.resetPlan("TO=shift:+5", "EXECUTE=1")
	for p := int32(0); p < 3; p++ {
		if plan[p] != "5 -5 skipped" {
			t.Fatalf("plan %v", plan)
		}
	}
	log := l.path("p.log")
	l.run(0, "auto-commit", "LOG="+log, "IDLE_EXIT=1s", "WORK_DELAY=1ms")
	c := l.count(log)
	if c.total != 15 || c.lost != 15 {
		t.Fatalf("want total=15 lost=15:\n%s", c.out)
	}
	for p := 0; p < 3; p++ {
		if line := lineOf(c.out, fmt.Sprintf("  p%d:", p)); !strings.HasSuffix(line, "lost: 0-4") {
			t.Errorf("p%d: %q, want lost 0-4", p, line)
		}
	}
}

// group-watch ONCE=1 shows the same numbers as group-describe; a live watch
// refreshes, shows the lag's trend and stops cleanly on Ctrl+C.
func TestWatch(t *testing.T) {
	t.Parallel()
	l := newLab(t)
	l.seed(30)
	l.run(1, "manual-sync", "LOG="+l.path("p.log"), "CRASH=12", "WORK_DELAY=1ms")
	l.admin("group-remove-member", "INSTANCE=1")

	describe := l.admin("group-describe").output()
	once := l.admin("group-watch", "ONCE=1").output()
	row := regexp.MustCompile(`(?m)^  (p\d+ +\S+ +\d+ +\d+ +\d+)`)
	d, o := row.FindAllStringSubmatch(describe, -1), row.FindAllStringSubmatch(once, -1)
	if len(d) != 3 || fmt.Sprint(d) != fmt.Sprint(o) {
		t.Fatalf("watch ONCE=1 differs from describe:\n%s\n---\n%s", describe, once)
	}
	if !strings.Contains(once, "(one sample)") || !strings.Contains(once, "total lag 20") {
		t.Fatalf("watch ONCE=1:\n%s", once)
	}

	w := l.startArgs("admin", []string{"group-watch"}, "INTERVAL=200ms")
	w.waitFor("(first sample)", 10*time.Second)
	l.run(0, "manual-sync", "LOG="+l.path("p.log"), "IDLE_EXIT=1s", "WORK_DELAY=20ms")
	w.waitFor("falling: the group is catching up", 10*time.Second)
	w.signal(syscall.SIGINT)
	if code := w.wait(10 * time.Second); code != 0 || !strings.Contains(w.output(), "stopped") {
		t.Fatalf("watch after Ctrl+C: exit %d\n%s", code, w.output())
	}
}

func TestGroupsAndTopicDescribe(t *testing.T) {
	t.Parallel()
	l := newLab(t)
	l.seed(30)
	l.run(1, "manual-sync", "LOG="+l.path("p.log"), "CRASH=12", "WORK_DELAY=1ms")
	out := l.admin("groups").output()
	if !regexp.MustCompile(`(?m)^` + regexp.QuoteMeta(l.group) + ` +Stable +classic +1 +20  ` + regexp.QuoteMeta(l.topic) + `$`).MatchString(out) {
		t.Fatalf("groups should list %s: Stable, 1 member (the crashed one), total lag 20:\n%s", l.group, out)
	}
	td := l.admin("topic-describe").output()
	if !strings.Contains(td, "topic "+l.topic+": 3 partitions") || len(regexp.MustCompile(`(?m)^  p\d +\d+ +\d+ +\d+ +0 +10 +10$`).FindAllString(td, -1)) != 3 {
		t.Fatalf("topic-describe:\n%s", td)
	}
	d := l.admin("group-describe").output()
	if !strings.Contains(d, "protocol classic (the members assign: cooperative-sticky)") || !strings.Contains(d, "member "+l.group+"-1 (client kgo, host ") {
		t.Fatalf("describe should show protocol and members with client and host:\n%s", d)
	}
}
