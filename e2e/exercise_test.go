package e2e

import (
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

var (
	answerRow   = regexp.MustCompile(`(?m)^\| (\d+) \| ([^|]+) \| ([^|]+) \| ([^|]+) \| [^|]+ \|$`)
	measuredRow = regexp.MustCompile(`(?m)^  (repeated|lost) +(\S+) +(\S+)$`)
)

// answer is one cell of docs/exercises.md's answers: a number, "A or B", or
// "varies" (any number).
func answer(t *testing.T, cell string) (want []int, any bool) {
	t.Helper()
	cell = strings.TrimSpace(cell)
	if cell == "varies" {
		return nil, true
	}
	for _, v := range strings.Split(cell, " or ") {
		n, err := strconv.Atoi(v)
		if err != nil {
			t.Fatalf("docs/exercises.md: answer %q is not a number, \"A or B\" or \"varies\"", cell)
		}
		want = append(want, n)
	}
	return want, false
}

// Every exercise, played through make with the instructors' answer as the
// prediction: what it measures must be that answer, and it must say so.
// The exercises that are experiment cells (3, 4, 5) always play on an
// embedded broker of their own: they are played in the embedded suite.
func TestMakeExercises(t *testing.T) {
	t.Parallel()
	doc, err := os.ReadFile(filepath.Join(root, "docs", "exercises.md"))
	if err != nil {
		t.Fatal(err)
	}
	rows := answerRow.FindAllStringSubmatch(string(doc), -1)
	list := makeIn(t, t.TempDir(), cleanEnv(), true, "exercise")
	if len(rows) != 9 || strings.Count(list, "\n  ") != len(rows) {
		t.Fatalf("docs/exercises.md answers %d exercises, make exercise lists:\n%s", len(rows), list)
	}
	for _, row := range rows {
		n, title := row[1], strings.TrimSpace(row[2])
		if !strings.Contains(list, "  "+n+". "+title+"\n") {
			t.Errorf("make exercise does not list %s. %s:\n%s", n, title, list)
		}
		experimentCell := n == "3" || n == "4" || n == "5"
		if experimentCell && !onEmbedded() {
			continue
		}
		t.Run(n, func(t *testing.T) {
			t.Parallel()
			rep, anyRep := answer(t, row[3])
			lost, _ := answer(t, row[4])
			predict := func(v []int) string {
				if len(v) == 0 {
					return "0"
				}
				return strconv.Itoa(v[0])
			}
			env := cleanEnv("PREDICT=" + predict(rep) + "," + predict(lost))
			if !onEmbedded() {
				env = append(env, "BROKERS="+brokers)
			}
			out := makeIn(t, t.TempDir(), env, true, "exercise", "N="+n)
			got := map[string]int{}
			for _, m := range measuredRow.FindAllStringSubmatch(out, -1) {
				v, err := strconv.Atoi(m[3])
				if err != nil {
					t.Fatalf("%s measured %q:\n%s", m[1], m[3], out)
				}
				got[m[1]] = v
			}
			if len(got) != 2 {
				t.Fatalf("no measured repeated and lost:\n%s", out)
			}
			ok := func(want []int, anyOK bool, v int) bool {
				for _, w := range want {
					if w == v {
						return true
					}
				}
				return anyOK
			}
			if !ok(rep, anyRep, got["repeated"]) || !ok(lost, false, got["lost"]) {
				t.Errorf("exercise %s measured repeated=%d lost=%d, docs/exercises.md answers %s, %s:\n%s",
					n, got["repeated"], got["lost"], strings.TrimSpace(row[3]), strings.TrimSpace(row[4]), out)
			}
			// The verdict line judges the prediction given.
			right := predict(rep) == strconv.Itoa(got["repeated"]) && predict(lost) == strconv.Itoa(got["lost"])
			if right != strings.Contains(out, "Right on both.") || right == strings.Contains(out, "Not quite") {
				t.Errorf("exercise %s: prediction %s,%s against measured %d,%d judged wrongly:\n%s", n, predict(rep), predict(lost), got["repeated"], got["lost"], out)
			}
			if !strings.Contains(out, "Why: ") || !strings.Contains(out, "By hand, from 'make fresh': ") {
				t.Errorf("exercise %s gives no why or no steps by hand:\n%s", n, out)
			}
		})
	}
}
