package e2e

import (
	"encoding/csv"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	labbench "offsetlab/internal/bench"
)

// A small `make bench` as a smoke test: every row in the table, in
// results.csv (with its documented header) and in the chart, every number
// that must be positive positive. On Kafka it runs against the suite's
// broker. Speed itself is the bench's business, never a test's.
func TestMakeBench(t *testing.T) {
	t.Parallel()
	out := t.TempDir()
	env := cleanEnv("OUT="+out, "BENCH_RECORDS=5000", "ROUNDS=1")
	if !onEmbedded() {
		env = append(env, "BROKERS="+brokers, "BENCH_BROKER=kafka")
	}
	printed := makeIn(t, t.TempDir(), env, true, "bench")
	f, err := os.Open(filepath.Join(out, "results.csv"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	lines, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(lines[0][:11], strings.Split("broker,strategy,commit_per,max_poll_records,records_per_s,ratio_to_baseline,commits,commit_p50_ms,commit_p99_ms,rss_mb,cpu_s", ",")) {
		t.Errorf("results.csv header: %v", lines[0])
	}
	if len(lines)-1 != len(labbench.Rows) {
		t.Errorf("results.csv has %d rows, want %d", len(lines)-1, len(labbench.Rows))
	}
	svg, err := os.ReadFile(filepath.Join(out, "throughput.svg"))
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range labbench.Rows {
		if !strings.Contains(printed, " "+r.Name()+" ") {
			t.Errorf("the table has no row %s:\n%s", r.Name(), printed)
		}
		if !strings.Contains(string(svg), `data-row="`+r.Name()+`"`) {
			t.Errorf("the chart has no bar for %s", r.Name())
		}
	}
	for _, l := range lines[1:] {
		row := map[string]string{}
		for i, h := range lines[0] {
			row[h] = l[i]
		}
		for _, col := range []string{"records_per_s", "ratio_to_baseline", "rss_mb", "cpu_s"} {
			if v, err := strconv.ParseFloat(row[col], 64); err != nil || v <= 0 {
				t.Errorf("%s/%s/%s: %s = %q, want a positive number", row["strategy"], row["commit_per"], row["max_poll_records"], col, row[col])
			}
		}
		commits, _ := strconv.Atoi(row["commits"])
		p50, _ := strconv.ParseFloat(row["commit_p50_ms"], 64)
		if (row["commit_per"] == "none") != (commits == 0) || (commits > 0) != (p50 > 0) {
			t.Errorf("%v: a baseline commits nothing, every other row commits and times its commits", l)
		}
	}
	md, err := os.ReadFile(filepath.Join(out, "results.md"))
	if err != nil || !strings.Contains(string(md), "5–20 ms per batch") || !strings.Contains(string(md), "10–30 %") {
		t.Errorf("results.md does not answer the lesson's claims (%v):\n%s", err, md)
	}
}
