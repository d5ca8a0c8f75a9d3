// Package timeline turns a consumer's events log (and its processed log)
// into a picture: one lane per partition, time across, a mark per processed
// record at its offset, records processed again and offsets never processed
// in their own colours, the group's committed offset as a step line, and
// lines for every start, crash, kill, stop and rebalance. The gap between the
// marks and the step line at the moment of a crash is the lesson.
package timeline

import (
	"fmt"
	"slices"
	"sort"
	"strings"

	"offsetlab/internal/events"
	"offsetlab/internal/processedlog"
	"offsetlab/internal/tally"
)

// Input is what a timeline is drawn from.
type Input struct {
	Title     string
	Events    []events.Event       // sorted by time (events.ReadFile does)
	Processed []processedlog.Entry // the processed log: the ground truth for marks; nil: the events alone
	Ranges    map[int32]tally.Range
	LogName   string // for the count line
}

// Timeline is the picture's content, before any drawing.
type Timeline struct {
	Title    string
	Strategy string
	Start    int64 // µs, first event
	End      int64 // µs, last event
	Lanes    []Lane
	Runs     []Run
	Markers  []Marker
	Outages  []Span // while a run could not reach the broker
	Count    tally.Result
	Headline string // the count line
	// Processed events the processed log does not confirm (a process killed
	// between writing the event and the log line): not drawn.
	Unconfirmed int
	// Processed-log lines no event stands for (the events log was cleared
	// or written elsewhere): counted, not drawn.
	Unplaced int
}

// Lane is one partition.
type Lane struct {
	Partition int32
	Marks     []Mark
	Steps     []Step  // the group's committed offset over time
	Lost      []int64 // offsets in the topic never processed; nil if the topic was not asked
	Lo, Hi    int64   // offsets shown
}

// Mark is one processing of a record.
type Mark struct {
	Time   int64
	Offset int64
	Run    int  // 1-based index into Runs
	Again  bool // this offset was processed before: a duplicate
}

// Step is the committed offset (the next offset to read) from Time on.
type Step struct {
	Time   int64
	Offset int64
	Cause  string
}

// Run is one process's run.
type Run struct {
	N         int
	ID        string
	Strategy  string
	Instance  int
	Settings  string
	Committed map[int32]int64 // what the group had committed when the run began
	Start     int64
	End       int64
	How       string // crash, killed, clean, error, fenced, second signal
	Processed int    // records processed (as drawn)
	Commits   int
	Failed    int // failed commit tries
	Lost      int // times the group moved on without it (its partitions lost)

	joined bool // got its first assignment
}

// Span is a stretch of time in one run.
type Span struct {
	Start, End int64
	Run        int
}

// Marker kinds.
const (
	MarkStart     = "start"
	MarkCrash     = "crash"
	MarkKilled    = "killed"
	MarkStop      = "stop"
	MarkRebalance = "rebalance"
	MarkFailed    = "commit-failed"
)

// Marker is a vertical line (or, for failed commits, a tick) at a moment.
type Marker struct {
	Time  int64
	Kind  string
	Run   int
	Label string
}

type key struct {
	p int32
	o int64
}

// Build makes the timeline's content from its input.
func Build(in Input) (*Timeline, error) {
	if len(in.Events) == 0 {
		return nil, fmt.Errorf("no events: run a consumer first (it writes its events log beside its processed log)")
	}
	t := &Timeline{Title: in.Title, Start: in.Events[0].Time, End: in.Events[len(in.Events)-1].Time}

	// Which processed events the processed log confirms. The event is
	// written just before the log line, so an event without its line is the
	// last record of a run killed between the two writes: where the events
	// have more processings of an offset than the log, those go first, then
	// (should the log have been cut otherwise) the latest.
	drop := map[int]bool{}
	if in.Processed != nil {
		inLog := map[key]int{}
		for _, e := range in.Processed {
			inLog[key{e.Partition, e.Offset}]++
		}
		inEvents := map[key]int{}
		last := map[string]int{} // run → index of its last processed event
		ended := map[string]bool{}
		for i, e := range in.Events {
			switch {
			case e.Kind == events.Processed && e.Partition != nil && e.Offset != nil:
				inEvents[key{*e.Partition, *e.Offset}]++
				last[e.Run] = i
			case e.Kind == events.Stop || e.Kind == events.Crash:
				ended[e.Run] = true
			}
		}
		dropOne := func(i int) {
			e := in.Events[i]
			k := key{*e.Partition, *e.Offset}
			if drop[i] || inEvents[k] <= inLog[k] {
				return
			}
			inEvents[k]--
			drop[i] = true
			t.Unconfirmed++
		}
		for run, i := range last {
			if !ended[run] {
				dropOne(i)
			}
		}
		for i := len(in.Events) - 1; i >= 0; i-- {
			if e := in.Events[i]; e.Kind == events.Processed && e.Partition != nil && e.Offset != nil {
				dropOne(i)
			}
		}
		drawn := map[key]int{}
		for i, e := range in.Events {
			if e.Kind == events.Processed && e.Partition != nil && e.Offset != nil && !drop[i] {
				drawn[key{*e.Partition, *e.Offset}]++
			}
		}
		for k, n := range inLog {
			if n > drawn[k] {
				t.Unplaced += n - drawn[k]
			}
		}
	}

	lanes := map[int32]*Lane{}
	lane := func(p int32) *Lane {
		if lanes[p] == nil {
			lanes[p] = &Lane{Partition: p, Lo: -1}
		}
		return lanes[p]
	}
	var order []*Run // in the order they started
	runs := map[string]*Run{}
	runOf := func(e events.Event) *Run {
		r := runs[e.Run]
		if r == nil {
			r = &Run{N: len(order) + 1, ID: e.Run, Start: e.Time, How: "killed"}
			order = append(order, r)
			runs[e.Run] = r
		}
		r.End = e.Time
		return r
	}
	copies := hasCopies(in.Events)
	seen := map[key]bool{}
	down := map[int]int64{} // run → since when it cannot reach the broker
	for i, e := range in.Events {
		r := runOf(e)
		switch e.Kind {
		case events.Unreachable:
			if _, ok := down[r.N]; !ok {
				down[r.N] = e.Time
			}
		case events.Reachable:
			if since, ok := down[r.N]; ok {
				t.Outages = append(t.Outages, Span{Start: since, End: e.Time, Run: r.N})
				delete(down, r.N)
			}
		case events.Start:
			r.Strategy, r.Instance, r.Settings, r.Committed = e.Strategy, e.Instance, e.Detail, e.Committed()
			if t.Strategy == "" {
				t.Strategy = e.Strategy
			}
			for _, p := range e.Partitions {
				lane(p)
			}
			// What the group had committed when the run began: a commit the
			// events do not show (a reset, a commit that timed out yet was
			// written) still moves the line.
			for p, o := range e.Committed() {
				addStep(lane(p), Step{Time: e.Time, Offset: o, Cause: "at start"})
			}
			label := fmt.Sprintf("run %d starts", r.N)
			if copies {
				label = fmt.Sprintf("run %d (copy %d) starts", r.N, r.Instance)
			}
			t.Markers = append(t.Markers, Marker{Time: e.Time, Kind: MarkStart, Run: r.N, Label: label})
		case events.Processed:
			if drop[i] || e.Partition == nil || e.Offset == nil {
				continue
			}
			k := key{*e.Partition, *e.Offset}
			l := lane(k.p)
			l.Marks = append(l.Marks, Mark{Time: e.Time, Offset: k.o, Run: r.N, Again: seen[k]})
			seen[k] = true
			r.Processed++
		case events.Commit:
			r.Commits++
			for p, o := range e.Committed() {
				addStep(lane(p), Step{Time: e.Time, Offset: o, Cause: e.Cause})
			}
		case events.CommitFailed:
			r.Failed++
			t.Markers = append(t.Markers, Marker{Time: e.Time, Kind: MarkFailed, Run: r.N, Label: "commit failed (" + e.Cause + "): " + e.Detail})
		case events.Assigned, events.Revoked, events.Lost:
			if e.Kind == events.Lost {
				r.Lost++
			}
			if e.Kind == events.Assigned && !r.joined {
				// A run's first assignment is its start, not a rebalance.
				r.joined = true
				continue
			}
			sign := map[string]string{events.Assigned: "+", events.Revoked: "−", events.Lost: "lost "}[e.Kind]
			t.Markers = append(t.Markers, Marker{Time: e.Time, Kind: MarkRebalance, Run: r.N,
				Label: fmt.Sprintf("run %d %s%s", r.N, sign, partitionNames(e.Partitions))})
		case events.Crash:
			r.How = "crash"
			t.Markers = append(t.Markers, Marker{Time: e.Time, Kind: MarkCrash, Run: r.N, Label: fmt.Sprintf("run %d crashes (%s)", r.N, e.Detail)})
		case events.Stop:
			r.How = e.Cause
			t.Markers = append(t.Markers, Marker{Time: e.Time, Kind: MarkStop, Run: r.N, Label: fmt.Sprintf("run %d stops (%s)", r.N, e.Cause)})
		}
	}
	for _, r := range order {
		t.Runs = append(t.Runs, *r)
		if since, ok := down[r.N]; ok {
			t.Outages = append(t.Outages, Span{Start: since, End: r.End, Run: r.N})
		}
		if r.How == "killed" {
			t.Markers = append(t.Markers, Marker{Time: r.End, Kind: MarkKilled, Run: r.N, Label: fmt.Sprintf("run %d killed", r.N)})
		}
	}
	sort.SliceStable(t.Markers, func(i, j int) bool { return t.Markers[i].Time < t.Markers[j].Time })
	if t.Strategy == "" {
		t.Strategy = "consumer"
	}

	entries := in.Processed
	if entries == nil {
		for _, l := range lanes {
			for _, m := range l.Marks {
				entries = append(entries, processedlog.Entry{Partition: l.Partition, Offset: m.Offset})
			}
		}
	}
	for p := range in.Ranges {
		lane(p)
	}
	t.Count = tally.Count(entries, in.Ranges)
	t.Headline = t.Count.Headline(in.LogName)
	for _, pt := range t.Count.Partitions {
		l := lane(pt.ID)
		l.Lost = pt.Lost
	}
	for _, l := range lanes {
		span(l, in.Ranges)
		t.Lanes = append(t.Lanes, *l)
	}
	sort.Slice(t.Lanes, func(i, j int) bool { return t.Lanes[i].Partition < t.Lanes[j].Partition })
	return t, nil
}

func hasCopies(es []events.Event) bool {
	for _, e := range es {
		if e.Kind == events.Start && e.Instance > 1 {
			return true
		}
	}
	return false
}

// addStep adds a point to the committed line if it changes it.
func addStep(l *Lane, s Step) {
	if n := len(l.Steps); n > 0 && l.Steps[n-1].Offset == s.Offset {
		return
	}
	l.Steps = append(l.Steps, s)
}

// span sets the offsets a lane shows: the topic's, widened to whatever was
// processed or committed.
func span(l *Lane, ranges map[int32]tally.Range) {
	lo, hi := int64(-1), int64(-1)
	widen := func(o int64) {
		if lo < 0 || o < lo {
			lo = o
		}
		if o > hi {
			hi = o
		}
	}
	if r, ok := ranges[l.Partition]; ok && r.End > r.Start {
		widen(r.Start)
		widen(r.End - 1)
	}
	for _, m := range l.Marks {
		widen(m.Offset)
	}
	for _, s := range l.Steps {
		widen(max(s.Offset-1, 0))
	}
	if lo < 0 {
		lo, hi = 0, 0
	}
	l.Lo, l.Hi = lo, hi
}

func partitionNames(ps []int32) string {
	ps = slices.Clone(ps)
	slices.Sort(ps)
	s := make([]string, len(ps))
	for i, p := range ps {
		s[i] = fmt.Sprintf("p%d", p)
	}
	return strings.Join(s, " ")
}
