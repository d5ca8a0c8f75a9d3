package bench

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// results.csv keeps the rows of other brokers, so that `make bench` then
// `make bench-kafka` end up side by side; a broker's new run replaces its
// own rows.
func TestWriteBenchFilesKeepsOtherBrokers(t *testing.T) {
	dir := t.TempDir()
	row := func(broker string, rate float64) Result {
		return Result{Broker: broker, Row: Row{Strategy: "manual-sync", CommitPer: "batch", MaxPoll: 500},
			PerSecond: rate, Min: rate - 1, Max: rate + 1, Ratio: 0.75, Commits: 401, P50: 0.17, P99: 0.52, RSSMB: 110, CPUSeconds: 0.6, Rounds: 3, Records: 200000}
	}
	steps := []struct {
		write []Result
		want  map[string]float64 // broker → records/s after the write
	}{
		{[]Result{row("embedded", 1000)}, map[string]float64{"embedded": 1000}},
		{[]Result{row("kafka", 500)}, map[string]float64{"embedded": 1000, "kafka": 500}},
		{[]Result{row("embedded", 2000)}, map[string]float64{"embedded": 2000, "kafka": 500}},
	}
	for i, s := range steps {
		all, err := WriteFiles(dir, s.write)
		if err != nil {
			t.Fatal(err)
		}
		read, err := readCSV(filepath.Join(dir, "results.csv"))
		if err != nil {
			t.Fatal(err)
		}
		if len(all) != len(s.want) || len(read) != len(s.want) {
			t.Fatalf("step %d: %d rows written, %d read, want %d", i, len(all), len(read), len(s.want))
		}
		for _, r := range read {
			if r.PerSecond != s.want[r.Broker] || r.Row.Name() != "sync-batch-500" || r.Commits != 401 || r.P99 != 0.52 {
				t.Errorf("step %d: read back %+v", i, r)
			}
		}
	}
	svg, _ := os.ReadFile(filepath.Join(dir, "throughput.svg"))
	md, _ := os.ReadFile(filepath.Join(dir, "results.md"))
	for _, broker := range []string{"embedded", "kafka"} {
		if !strings.Contains(string(svg), `data-broker="`+broker+`"`) || !strings.Contains(string(md), "**"+broker+"**") {
			t.Errorf("the chart or results.md lacks %s", broker)
		}
	}
}

func TestBenchRowNames(t *testing.T) {
	seen := map[string]bool{}
	for _, r := range Rows {
		if seen[r.Name()] {
			t.Errorf("two rows named %s", r.Name())
		}
		seen[r.Name()] = true
	}
	for _, name := range []string{"baseline-5", "auto-50", "sync-batch-500", "async-500", "sync-record-500", "sync-count100-500", "sync-time100ms-500", "async-shutdown-500"} {
		if !seen[name] {
			t.Errorf("no row %s", name)
		}
	}
}

// docs/costs.md shows the recorded run (docs/bench-results.csv, copied by
// `make bench-picture` after `make bench` and `make bench-kafka`): its table
// is that run's, row for row.
func TestCostsPageShowsTheRecordedRun(t *testing.T) {
	rs, err := ReadCSV(filepath.Join("..", "..", "docs", "bench-results.csv"))
	if err != nil || len(rs) == 0 {
		t.Fatalf("docs/bench-results.csv: %d rows, %v", len(rs), err)
	}
	page, err := os.ReadFile(filepath.Join("..", "..", "docs", "costs.md"))
	if err != nil {
		t.Fatal(err)
	}
	if table := PageTable(rs); !strings.Contains(string(page), table) {
		t.Errorf("docs/costs.md does not show the recorded run's table:\n%s", table)
	}
}

func TestGrouped(t *testing.T) {
	for n, want := range map[int64]string{0: "0", 999: "999", 1000: "1 000", 556600: "556 600", 1234567: "1 234 567"} {
		if got := grouped(n); got != want {
			t.Errorf("grouped(%d) = %q, want %q", n, got, want)
		}
	}
}

// A row's COMMIT_PER survives results.csv, manual-async's too: kept rows of
// another broker keep their names.
func TestCSVKeepsCommitPer(t *testing.T) {
	dir := t.TempDir()
	var rs []Result
	for _, r := range Rows {
		rs = append(rs, Result{Broker: "embedded", Row: r, PerSecond: 1, Rounds: 1})
	}
	if _, err := WriteFiles(dir, rs); err != nil {
		t.Fatal(err)
	}
	read, err := ReadCSV(filepath.Join(dir, "results.csv"))
	if err != nil || len(read) != len(Rows) {
		t.Fatalf("read %d rows, %v; want %d", len(read), err, len(Rows))
	}
	for i, r := range read {
		if r.Row.Name() != Rows[i].Name() {
			t.Errorf("row %d read back as %s, written as %s", i, r.Row.Name(), Rows[i].Name())
		}
	}
}
