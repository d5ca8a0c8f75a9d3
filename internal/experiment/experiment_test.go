package experiment

import (
	"slices"
	"strings"
	"testing"

	"offsetlab/internal/timeline"
)

// window: what each run left processed past the offsets the next run found
// committed, which is what the next runs processed again.
func TestWindow(t *testing.T) {
	tests := []struct {
		name         string
		runs         []timeline.Run
		marks        []timeline.Mark
		sum, largest int
	}{
		{
			name:  "a crash with nothing committed, then a run to the end",
			runs:  []timeline.Run{{N: 1, Start: 0, End: 10}, {N: 2, Start: 11, End: 20, Committed: map[int32]int64{}}},
			marks: []timeline.Mark{{Run: 1, Offset: 0}, {Run: 1, Offset: 1}, {Run: 2, Offset: 0}, {Run: 2, Offset: 1}, {Run: 2, Offset: 2}},
			sum:   2, largest: 2,
		},
		{
			name: "two crashes, the second before the first's records came back",
			runs: []timeline.Run{{N: 1, Start: 0, End: 10}, {N: 2, Start: 11, End: 20, Committed: map[int32]int64{0: 5}},
				{N: 3, Start: 21, End: 30, Committed: map[int32]int64{0: 5}}},
			marks: []timeline.Mark{{Run: 1, Offset: 4}, {Run: 1, Offset: 5}, {Run: 1, Offset: 6}, {Run: 2, Offset: 5}, {Run: 3, Offset: 5}, {Run: 3, Offset: 6}},
			sum:   3, largest: 2,
		},
		{
			name:  "copies at once: no window",
			runs:  []timeline.Run{{N: 1, Start: 0, End: 10}, {N: 2, Start: 5, End: 20}},
			marks: []timeline.Mark{{Run: 1, Offset: 0}},
			sum:   -1, largest: -1,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tl := &timeline.Timeline{Runs: tt.runs, Lanes: []timeline.Lane{{Partition: 0, Marks: tt.marks}}}
			if sum, largest := window(tl); sum != tt.sum || largest != tt.largest {
				t.Fatalf("window %d (largest %d), want %d (%d)", sum, largest, tt.sum, tt.largest)
			}
		})
	}
}

func TestPick(t *testing.T) {
	sc, st, err := Pick("", "all")
	if err != nil || len(sc) != len(Scenarios)-1 || slices.Contains(sc, "coordinator-failover") || len(st) != 3 {
		t.Fatalf("defaults: every scenario but the cluster's: %v %v %v", sc, st, err)
	}
	if sc, _, err = Pick("crash,coordinator-failover", ""); err != nil || strings.Join(sc, ",") != "crash,coordinator-failover" {
		t.Fatalf("a cluster scenario named: %v %v", sc, err)
	}
	if sc, st, err = Pick("greedy, crash", "sync"); err != nil || strings.Join(sc, ",") != "greedy,crash" || strings.Join(st, ",") != "sync" {
		t.Fatalf("picked %v %v %v", sc, st, err)
	}
	if _, _, err := Pick("crash", "manual"); err == nil || !strings.Contains(err.Error(), `STRATEGIES: no "manual"; there are auto, sync, async`) {
		t.Fatalf("got %v", err)
	}
}
