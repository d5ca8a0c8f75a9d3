package live

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"offsetlab/internal/cluster"
	"offsetlab/internal/tally"
	"offsetlab/internal/timeline"
)

// State is what every page shows at one moment: the same for every browser.
type State struct {
	Broker   string // where the lab plays
	Embedded bool   // the broker is make live's own: the broker's controls apply
	BrokerUp bool   // make live's own broker is running (false after a kill)
	Topic    string
	Groups   []Group
	Runs     []RunState
	Error    string `json:",omitempty"` // why the broker could not be asked, if it could not
}

// Group is one consumer's group in play: its runs drawn as make timeline-NAME
// draws them, from the same model, and its count as make count-NAME says it.
type Group struct {
	Consumer string
	Group    string
	// Timeline is the lanes, marks, committed steps and crash marks. Marks
	// beyond MaxMarks per lane are thinned to the newest (Thinned says how
	// many were left out): the page stays responsive through long runs.
	Timeline *timeline.Timeline
	Thinned  int
	// Committed is the group's committed offset per partition, from the
	// broker now (what make group-describe-NAME shows); -1: nothing.
	Committed map[int32]int64
	Lag       int64
	// Counted is what make count-NAME says beside the log's count, for a
	// share group (its deliveries) and the effect consumers (their tickets).
	Counted string `json:",omitempty"`
}

// RunState is one run as the page lists it.
type RunState struct {
	ID       int
	Consumer string
	Make     string
	PID      int
	Running  bool
	Exit     int    // its exit code, once ended
	Last     string // its last line
}

// MaxMarks bounds the marks per lane a state carries.
const MaxMarks = 2000

// Snapshot reads every group's logs and asks the broker for the topic's
// offsets and the groups' commits.
func (l *Lab) Snapshot(ctx context.Context, adm *cluster.Client) State {
	s := State{Broker: l.Conn.Describe(), Embedded: l.Own != nil, BrokerUp: l.Own != nil && l.Own.Running(), Topic: l.Topic}
	for _, r := range l.Runs() {
		rs := RunState{ID: r.ID, Consumer: r.Consumer.Binary, Make: r.Make(), PID: r.p.PID(), Running: !r.p.Ended()}
		if !rs.Running {
			rs.Exit = r.p.Code()
		}
		if lines := r.p.Lines(); len(lines) > 0 {
			rs.Last = lines[len(lines)-1]
		}
		s.Runs = append(s.Runs, rs)
	}
	qctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	ranges, err := adm.Ranges(qctx, l.Topic)
	l.mu.Lock()
	if err != nil {
		// The broker away (an outage the page caused, or not): the last
		// offsets it gave still place the marks.
		s.Error = "the broker does not answer: " + err.Error()
		ranges = l.ranges
	} else {
		l.ranges = ranges
	}
	l.mu.Unlock()
	if ranges == nil {
		ranges = map[int32]tally.Range{}
	}
	for _, c := range Consumers {
		t, thinned, err := l.timeline(c, ranges)
		if errors.Is(err, os.ErrNotExist) {
			continue // no run of it yet
		}
		g := Group{Consumer: c.Binary, Group: "kitchen-" + c.Name}
		if err != nil {
			s.Error = err.Error()
			continue
		}
		g.Timeline, g.Thinned = t, thinned
		g.Counted = l.counted(ctx, c)
		if committed, err := adm.Committed(qctx, g.Group, l.Topic); err == nil {
			g.Committed = map[int32]int64{}
			for p, r := range ranges {
				at, ok := committed[p]
				if !ok {
					at = -1
					g.Lag += r.End - r.Start
				} else {
					g.Lag += r.End - at
				}
				g.Committed[p] = at
			}
		}
		s.Groups = append(s.Groups, g)
	}
	return s
}

// drawn is a consumer's timeline as last built, and what it was built from.
type drawn struct {
	from     string // the logs' sizes and times, and the topic's offsets
	timeline *timeline.Timeline
	thinned  int
	counted  string // make count-NAME's own lines, for the consumers that have them
}

// timeline is consumer c's timeline from its logs, built again only when a
// log or the topic's offsets changed: an idle page costs no reading.
func (l *Lab) timeline(c Consumer, ranges map[int32]tally.Range) (*timeline.Timeline, int, error) {
	events := filepath.Join(l.Dir, "events-"+c.Name+".jsonl")
	log := filepath.Join(l.Dir, "processed-"+c.Name+".log")
	from := fmt.Sprint(ranges)
	for _, f := range []string{events, log} {
		if fi, err := os.Stat(f); err == nil {
			from += fmt.Sprintf(" %d@%d", fi.Size(), fi.ModTime().UnixNano())
		}
	}
	l.mu.Lock()
	d, ok := l.drawn[c.Name]
	l.mu.Unlock()
	if ok && d.from == from {
		return d.timeline, d.thinned, nil
	}
	t, err := timeline.FromFiles(c.Binary, events, log, ranges)
	if err != nil {
		return nil, 0, err
	}
	d = drawn{from: from, timeline: t, thinned: thin(t)}
	if c.Count != "" {
		d.counted = l.count(c, log)
	}
	l.mu.Lock()
	if l.drawn == nil {
		l.drawn = map[string]drawn{}
	}
	l.drawn[c.Name] = d
	l.mu.Unlock()
	return d.timeline, d.thinned, nil
}

// thin keeps what a page draws bounded however long the runs: the newest
// MaxMarks marks of each lane (it says how many it dropped), at most
// MaxMarks never-processed offsets per lane (the count keeps the number),
// and the count's totals without its per-partition detail.
func thin(t *timeline.Timeline) int {
	n := 0
	for i := range t.Lanes {
		l := &t.Lanes[i]
		if len(l.Marks) > MaxMarks {
			n += len(l.Marks) - MaxMarks
			l.Marks = l.Marks[len(l.Marks)-MaxMarks:]
		}
		if len(l.Lost) > MaxMarks {
			l.Lost = l.Lost[:MaxMarks]
		}
		if len(l.Steps) > MaxMarks {
			l.Steps = l.Steps[len(l.Steps)-MaxMarks:]
		}
	}
	t.Count.Partitions = nil
	return n
}

// counted is consumer c's make count-NAME lines as last run (run again
// whenever its logs changed: see timeline).
func (l *Lab) counted(_ context.Context, c Consumer) string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.drawn[c.Name].counted
}

// count runs make count-NAME's command (admin count-share, count-effects,
// count-output) and keeps its lines but the processed log's, which the
// timeline's count already says.
func (l *Lab) count(c Consumer, log string) string {
	// Its lines whatever its exit: a count that finds losses says so.
	p, _, err := l.runTool(context.Background(), 10*time.Second, "admin", c.Count, "-group", "kitchen-"+c.Name, "-log", log)
	if err != nil {
		return err.Error()
	}
	var out []string
	for _, line := range p.Lines() {
		if !strings.HasPrefix(line, " ") && !strings.Contains(line, ": total=") {
			out = append(out, line)
		}
	}
	return strings.Join(out, "\n")
}
