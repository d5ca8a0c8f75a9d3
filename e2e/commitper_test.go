package e2e

import (
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// manual-sync's COMMIT_PER, with the lesson's crash recipe (30 orders,
// batches of 5, 50 ms of work, a crash after 10 records, a run to the end):
// what each granularity repeats is its crash window, and nothing is lost.
func TestCommitPerCrashWindows(t *testing.T) {
	t.Parallel()
	tests := []struct {
		per        string
		minDup     int
		maxDup     int
		crashLines int // commit lines in the crashed run
	}{
		{"batch", 5, 5, 2},   // the batch in hand
		{"record", 1, 1, 10}, // the record in hand: killed after its line, before its commit
		{"count:3", 1, 1, 4}, // commits after 3, 6, 9: the 10th repeats
		// A commit once 120 ms have passed since the last, checked after
		// each record: at most what 120 ms of records hold, plus one.
		{"time:120ms", 1, 3, 0},
		{"none", 10, 10, 0}, // never committed: everything repeats
	}
	for _, tt := range tests {
		t.Run(tt.per, func(t *testing.T) {
			t.Parallel()
			l := newLab(t)
			l.seed(30)
			kv := []string{"LOG=" + l.path("p.log"), "WORK_DELAY=50ms", "MAX_POLL_RECORDS=5", "COMMIT_PER=" + tt.per}
			crash := l.run(1, "manual-sync", append(kv, "CRASH=10")...)
			if !strings.Contains(crash.output(), "COMMIT_PER="+tt.per) && tt.per != "batch" {
				t.Errorf("the settings line does not show COMMIT_PER=%s:\n%s", tt.per, crash.output())
			}
			if n := crash.countLines("committed p"); tt.crashLines > 0 && n != tt.crashLines {
				t.Errorf("the crashed run printed %d commit lines, want %d:\n%s", n, tt.crashLines, crash.output())
			}
			if tt.per == "none" && crash.countLines("  (") != 0 {
				t.Errorf("COMMIT_PER=none committed:\n%s", crash.output())
			}
			l.run(0, "manual-sync", append(kv, "IDLE_EXIT=1s")...)
			c := l.count(l.path("p.log"))
			if c.lost != 0 || c.unique != 30 || c.duplicates < tt.minDup || c.duplicates > tt.maxDup {
				t.Errorf("COMMIT_PER=%s: want %d to %d duplicates, 0 lost:\n%s", tt.per, tt.minDup, tt.maxDup, c.out)
			}
		})
	}
}

// PRINT=progress and PRINT=none drop the line per record and per commit;
// the processed log and the count are the same, and the run still ends with
// its stats and summary.
func TestPrintModes(t *testing.T) {
	t.Parallel()
	for _, mode := range []string{"progress", "none"} {
		t.Run(mode, func(t *testing.T) {
			t.Parallel()
			l := newLab(t)
			l.seed(30)
			// 60 ms of work a record: the run lasts about 2 s, long enough
			// for progress lines.
			p := l.run(0, "manual-sync", "LOG="+l.path("p.log"), "WORK_DELAY=60ms", "IDLE_EXIT=1s", "PRINT="+mode)
			if n := p.countLines("processed p") + p.countLines("  (batch:") + p.countLines("  (shutdown:"); n != 0 {
				t.Errorf("PRINT=%s printed %d record or commit lines:\n%s", mode, n, p.output())
			}
			progress := p.countLines("progress: ")
			if (mode == "progress") != (progress > 0) {
				t.Errorf("PRINT=%s printed %d progress lines:\n%s", mode, progress, p.output())
			}
			if p.countLines("stats: 30 records in ") != 1 || p.countLines("summary strategy=manual-sync processed=30 commits=6 ") != 1 {
				t.Errorf("PRINT=%s: want the stats and summary lines:\n%s", mode, p.output())
			}
			if c := l.count(l.path("p.log")); c.total != 30 || c.duplicates != 0 || c.lost != 0 {
				t.Errorf("PRINT=%s changed what was processed:\n%s", mode, c.out)
			}
		})
	}
}

// manual-async's COMMIT_PER=shutdown, the lesson texts' production pattern:
// the timer alone commits while the loop runs, one blocking commit at a
// clean stop. A crash repeats exactly what the timer had not sent (the
// crash line says what was committed); a clean stop leaves nothing to
// repeat.
func TestAsyncCommitPerShutdown(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		every string
	}{
		// The timer never fires within the run: only the shutdown commit
		// ever commits, so the crash repeats all 10.
		{"silent timer", "1h"},
		// The default 500 ms: whatever the last tick had sent.
		{"500ms timer", "500ms"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			l := newLab(t)
			l.seed(30)
			kv := []string{"LOG=" + l.path("p.log"), "WORK_DELAY=50ms", "MAX_POLL_RECORDS=5", "COMMIT_PER=shutdown", "COMMIT_EVERY=" + tt.every}
			crash := l.run(1, "manual-async", append(kv, "CRASH=10")...)
			if n := crash.countLines("(flush:"); n != 0 {
				t.Errorf("COMMIT_PER=shutdown flushed %d times before the crash:\n%s", n, crash.output())
			}
			end := l.run(0, "manual-async", append(kv, "IDLE_EXIT=1s")...)
			// What the crash left committed: where the restart resumed, as
			// its first lines say ("has committed p0→9 p1→- p2→-").
			atCrash := resumedFrom(t, end.output())
			if tt.every == "1h" && atCrash != 0 {
				t.Errorf("with the timer silent nothing should be committed at the crash, the restart resumed after %d:\n%s", atCrash, end.output())
			}
			// With the timer silent only the clean stop commits; with it
			// ticking, the stop commits what the last tick had not sent, if
			// anything.
			if n := end.countLines("(shutdown:"); (tt.every == "1h" && n != 1) || n > 1 || end.countLines("(flush:") != 0 {
				t.Errorf("the run to the end should commit at most once at its clean stop (once with the timer silent) and never flush:\n%s", end.output())
			}
			c := l.count(l.path("p.log"))
			t.Logf("COMMIT_EVERY=%s: %d committed at the crash, %d repeated", tt.every, atCrash, c.duplicates)
			if want := 10 - int(atCrash); c.lost != 0 || c.unique != 30 || c.duplicates != want {
				t.Errorf("want %d duplicates (the 10 processed less the %d committed at the crash), 0 lost:\n%s", want, atCrash, c.out)
			}
			if got := l.committed(); sum(got) != 30 {
				t.Errorf("after the clean stop the group has %v committed, want 10 on each partition", got)
			}
		})
	}
}

var resumeLine = regexp.MustCompile(`has committed ((?:p\d+→\S+ ?)+): the run resumes there`)

// resumedFrom sums the committed offsets a run's start line says it resumes
// from ("-": nothing committed there).
func resumedFrom(t *testing.T, out string) int64 {
	t.Helper()
	m := resumeLine.FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("no resume line in:\n%s", out)
	}
	var n int64
	for _, po := range strings.Fields(m[1]) {
		_, off, _ := strings.Cut(po, "→")
		if off != "-" {
			v, err := strconv.ParseInt(off, 10, 64)
			if err != nil {
				t.Fatalf("resume line %q: %v", m[0], err)
			}
			n += v
		}
	}
	return n
}
