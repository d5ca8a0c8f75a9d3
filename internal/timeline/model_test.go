package timeline

import (
	"fmt"
	"strings"
	"testing"

	"offsetlab/internal/events"
	"offsetlab/internal/processedlog"
	"offsetlab/internal/tally"
)

// ev builds an event at t ms of run.
func ev(t int64, run, kind string, f ...func(*events.Event)) events.Event {
	e := events.Event{Time: 1_000_000 + t*1000, Run: run, Kind: kind}
	for _, fn := range f {
		fn(&e)
	}
	return e
}

func at(p int32, o int64) func(*events.Event) {
	return func(e *events.Event) { e.Partition, e.Offset = events.P(p), events.O(o) }
}

func committed(m map[int32]int64) func(*events.Event) {
	return func(e *events.Event) { e.Offsets = events.OffsetsOf(m) }
}

func TestBuild(t *testing.T) {
	es := []events.Event{
		ev(0, "a", events.Start, func(e *events.Event) { e.Strategy, e.Instance, e.Partitions = "manual-sync", 1, []int32{0} }),
		ev(1, "a", events.Assigned, func(e *events.Event) { e.Partitions = []int32{0} }),
		ev(10, "a", events.Processed, at(0, 0)),
		ev(20, "a", events.Processed, at(0, 1)),
		ev(21, "a", events.Commit, committed(map[int32]int64{0: 2}), func(e *events.Event) { e.Cause = "timer" }),
		ev(30, "a", events.Processed, at(0, 2)),
		ev(35, "a", events.Unreachable),
		ev(40, "a", events.Processed, at(0, 3)), // killed before its log line
		ev(100, "b", events.Start, committed(map[int32]int64{0: 2})),
		ev(101, "b", events.Assigned, func(e *events.Event) { e.Partitions = []int32{0} }),
		ev(110, "b", events.Processed, at(0, 2)),
		ev(120, "b", events.Processed, at(0, 3)),
		ev(121, "b", events.CommitFailed, func(e *events.Event) { e.Cause, e.Detail = "batch", "REBALANCE_IN_PROGRESS" }),
		ev(122, "b", events.Commit, committed(map[int32]int64{0: 4}), func(e *events.Event) { e.Cause = "batch" }),
		ev(125, "b", events.Lost, func(e *events.Event) { e.Partitions = []int32{0} }),
		ev(130, "b", events.Stop, func(e *events.Event) { e.Cause = "clean" }),
	}
	log := []processedlog.Entry{{Partition: 0, Offset: 0}, {Partition: 0, Offset: 1}, {Partition: 0, Offset: 2},
		{Partition: 0, Offset: 2}, {Partition: 0, Offset: 3}}
	tl, err := Build(Input{Title: "t", Events: es, Processed: log, Ranges: map[int32]tally.Range{0: {Start: 0, End: 5}}, LogName: "p.log"})
	if err != nil {
		t.Fatal(err)
	}
	var marks []string
	for _, m := range tl.Lanes[0].Marks {
		marks = append(marks, fmt.Sprintf("%d/r%d/%v", m.Offset, m.Run, m.Again))
	}
	var steps []string
	for _, s := range tl.Lanes[0].Steps {
		steps = append(steps, fmt.Sprintf("%d(%s)", s.Offset, s.Cause))
	}
	var hows []string
	for _, r := range tl.Runs {
		hows = append(hows, fmt.Sprintf("run %d %s: %d processed, %d commits, %d failed, %d lost", r.N, r.How, r.Processed, r.Commits, r.Failed, r.Lost))
	}
	tests := []struct{ what, got, want string }{
		{"marks (offset/run/again)", strings.Join(marks, " "), "0/r1/false 1/r1/false 2/r1/false 2/r2/true 3/r2/false"},
		{"committed steps", strings.Join(steps, " "), "2(timer) 4(batch)"},
		{"runs", strings.Join(hows, "; "), "run 1 killed: 3 processed, 1 commits, 0 failed, 0 lost; run 2 clean: 2 processed, 1 commits, 1 failed, 1 lost"},
		{"unconfirmed events", fmt.Sprint(tl.Unconfirmed), "1"},
		{"lost", fmt.Sprint(tl.Lanes[0].Lost), "[4]"},
		{"outage of run 1, open until it was killed", fmt.Sprint(tl.Outages), fmt.Sprintf("[{%d %d 1}]", es[6].Time, es[7].Time)},
		{"headline", tl.Headline, "p.log: total=5 unique-offsets=4 duplicates=1 lost=1"},
		{"lane span", fmt.Sprintf("%d-%d", tl.Lanes[0].Lo, tl.Lanes[0].Hi), "0-4"},
	}
	for _, tt := range tests {
		if tt.got != tt.want {
			t.Errorf("%s: got %q, want %q", tt.what, tt.got, tt.want)
		}
	}
	var kinds []string
	for _, m := range tl.Markers {
		kinds = append(kinds, m.Kind)
	}
	// A run's first assignment is its start, not a rebalance.
	if got := strings.Join(kinds, " "); got != "start killed start commit-failed rebalance stop" {
		t.Errorf("markers %q", got)
	}
	svg := tl.SVG()
	for _, want := range []string{`class="mark again" data-partition="0" data-offset="2" data-run="2"`, `class="lost" data-partition="0" data-offset="4"`,
		`class="committed" data-partition="0" data-final="4"`, `class="outage" data-run="1"`, "broker unreachable"} {
		if !strings.Contains(svg, want) {
			t.Errorf("the SVG lacks %s", want)
		}
	}
}

func TestBuildNeedsEvents(t *testing.T) {
	if _, err := Build(Input{}); err == nil || !strings.Contains(err.Error(), "run a consumer first") {
		t.Fatalf("got %v", err)
	}
}

// A commit below the committed offset (another member's older position) is
// said on the picture: the next run repeats what lies between.
func TestBackwardsCommitIsMarked(t *testing.T) {
	es := []events.Event{
		ev(0, "a", events.Start, func(e *events.Event) { e.Partitions = []int32{0} }),
		ev(10, "a", events.Commit, committed(map[int32]int64{0: 10}), func(e *events.Event) { e.Cause = "timer" }),
		ev(20, "b", events.Start, committed(map[int32]int64{0: 10})),
		ev(30, "b", events.Commit, committed(map[int32]int64{0: 5}), func(e *events.Event) { e.Cause = "timer" }),
	}
	tl, err := Build(Input{Events: es})
	if err != nil {
		t.Fatal(err)
	}
	if svg := tl.SVG(); !strings.Contains(svg, "moved back 10→5") || !strings.Contains(svg, `data-final="5"`) {
		t.Fatalf("the SVG does not say the committed offset moved back:\n%s", svg)
	}
}
