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
