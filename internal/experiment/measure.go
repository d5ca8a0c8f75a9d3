package experiment

import (
	"context"
	"fmt"
	"path/filepath"

	"offsetlab/internal/cluster"
	"offsetlab/internal/config"
	"offsetlab/internal/timeline"
)

// Result is one cell of the table: one scenario played with one strategy.
type Result struct {
	Scenario   string
	Strategy   string
	Processed  int // processed-log lines
	Unique     int // distinct offsets processed
	Duplicates int // lines beyond the first per offset
	Lost       int // offsets in the topic never processed
	Commits    int // commits that moved a committed offset
	Failed     int // failed commit tries
	Seconds    float64
	Runs       int
	// Window: what the runs had processed past the group's committed offset
	// when each of them ended (crash, kill, stop), summed: the records the
	// next run had to process again. -1 when runs overlapped (copies).
	Window int
	MaxGap int // the largest single one of those
	// LostGroup: times a member lost its partitions because the group moved
	// on without it (dropped in a rebalance, or the broker forgot it).
	LostGroup int
	// Backwards: commits that moved the group's committed offset below
	// where it was, as "p0 10→5 (timer)".
	Backwards []string
	OK        bool
	Verdict   string
	Timeline  string // the picture, relative to the results folder
	Notes     []string
}

// measure reads a played cell's logs and the topic's offsets, draws its
// timeline, and fills in the numbers.
func (c *cell) measure(ctx context.Context) (Result, error) {
	r := Result{Scenario: c.scenario, Strategy: c.consumer.Name, Notes: c.notes}
	ranges, err := cluster.TopicRanges(ctx, config.Plaintext(c.lab.brokers), c.topic)
	if err != nil {
		return r, err
	}
	title := fmt.Sprintf("%s, %s", c.scenario, c.consumer.Binary)
	t, err := timeline.FromFiles(title, c.events(), c.log(), ranges)
	if err != nil {
		return r, err
	}
	svg := filepath.Join(c.dir, "timeline.svg")
	if _, err := t.Write(svg); err != nil {
		return r, err
	}
	r.Timeline, _ = filepath.Rel(c.lab.cfg.Out, svg)

	r.Processed, r.Unique, r.Duplicates, r.Lost = t.Count.Total, t.Count.Unique, t.Count.Duplicates, t.Count.Lost
	r.Runs = len(t.Runs)
	r.Seconds = float64(t.End-t.Start) / 1e6
	for _, run := range t.Runs {
		r.Commits += run.Commits
		r.Failed += run.Failed
		r.LostGroup += run.Lost
	}
	r.Window, r.MaxGap = window(t)
	for _, l := range t.Lanes {
		for i := 1; i < len(l.Steps); i++ {
			if s, prev := l.Steps[i], l.Steps[i-1]; s.Offset < prev.Offset && s.Cause != "at start" {
				r.Backwards = append(r.Backwards, fmt.Sprintf("p%d %d→%d (%s)", l.Partition, prev.Offset, s.Offset, s.Cause))
			}
		}
	}
	return r, nil
}

// window adds up, for each run that another followed, the records it had
// processed at or past the offsets the next run found committed: the
// records the next run had to process again. Only for runs one after the
// other; -1 when two ran at once.
func window(t *timeline.Timeline) (sum, largest int) {
	for i := 1; i < len(t.Runs); i++ {
		if t.Runs[i].Start < t.Runs[i-1].End {
			return -1, -1
		}
	}
	gap := map[int]int{}
	for _, l := range t.Lanes {
		for _, m := range l.Marks {
			if m.Run >= len(t.Runs) {
				continue // the last run: nothing came after it
			}
			next := t.Runs[m.Run] // Runs is 0-based, Mark.Run 1-based: the run after
			if c, ok := next.Committed[l.Partition]; !ok || m.Offset >= c {
				gap[m.Run]++
			}
		}
	}
	for _, n := range gap {
		sum += n
		largest = max(largest, n)
	}
	return sum, largest
}
