// Package events is the consumers' second log: one JSON line per thing that
// happened in a run (it started, got or lost partitions, processed a record,
// committed, failed to commit, crashed, stopped), with the time in
// microseconds. The processed log says *what* was processed; the events log
// says *when*, and what was committed meanwhile, which is what a timeline
// draws.
//
// The discipline is the processed log's: the file is opened with O_APPEND
// and each line goes out in one write(2), so a SIGKILL stops the process
// between two lines, never inside one, and several processes (copies of a
// consumer) can share one file.
package events

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"sort"
	"strconv"
	"sync"
	"time"
)

// Kinds of event.
const (
	Start        = "start"         // a run began; Offsets: what the group had committed
	Assigned     = "assigned"      // Partitions were assigned to this member
	Revoked      = "revoked"       // Partitions were taken away in a rebalance
	Lost         = "lost"          // Partitions were lost: the group moved on without this member
	Processed    = "processed"     // the record at Partition, Offset was processed
	Commit       = "commit"        // the broker accepted Offsets; Cause says why the commit happened
	CommitFailed = "commit-failed" // a commit failed; Cause says which, Detail the error
	Crash        = "crash"         // CRASH reached: exit(1) after the record at Partition, Offset (the other clients' consumers: with it in hand, unprocessed)
	Stop         = "stop"          // the run ended by itself; Cause: clean, error, fenced, signal
	Unreachable  = "broker-down"   // the broker could not be reached; Detail: the error
	Reachable    = "broker-back"   // it answers again; Detail: how the run noticed
)

// Event is one line of the events log.
type Event struct {
	Time       int64            `json:"t"`   // microseconds since the Unix epoch
	Run        string           `json:"run"` // which run wrote it: one id per process
	Kind       string           `json:"kind"`
	Strategy   string           `json:"strategy,omitempty"` // start only
	Instance   int              `json:"instance,omitempty"` // start only
	Partition  *int32           `json:"partition,omitempty"`
	Offset     *int64           `json:"offset,omitempty"`
	Partitions []int32          `json:"partitions,omitempty"`
	Offsets    map[string]int64 `json:"offsets,omitempty"` // partition → committed offset (the next to read)
	Cause      string           `json:"cause,omitempty"`
	Detail     string           `json:"detail,omitempty"`
}

// At is the event's time.
func (e Event) At() time.Time { return time.UnixMicro(e.Time) }

// Committed is Offsets with partitions as numbers.
func (e Event) Committed() map[int32]int64 {
	out := make(map[int32]int64, len(e.Offsets))
	for k, v := range e.Offsets {
		if p, err := strconv.ParseInt(k, 10, 32); err == nil {
			out[int32(p)] = v
		}
	}
	return out
}

// OffsetsOf turns partition → offset into the JSON form.
func OffsetsOf(m map[int32]int64) map[string]int64 {
	if len(m) == 0 {
		return nil
	}
	out := make(map[string]int64, len(m))
	for p, o := range m {
		out[strconv.Itoa(int(p))] = o
	}
	return out
}

// Writer appends events to a log, from any goroutine.
type Writer struct {
	run string
	now func() time.Time

	mu     sync.Mutex
	f      *os.File
	buf    []byte
	failed error // the first write that failed; later ones are not tried
}

// Open opens (creating if needed) the events log for appending, for the run
// with the given id. It fails at once if the file cannot be written.
func Open(path, run string) (*Writer, error) {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
	if err != nil {
		return nil, fmt.Errorf("open events log: %w", err)
	}
	return &Writer{run: run, now: time.Now, f: f}, nil
}

// RunID names a run: its start time and process id, unique on one machine.
func RunID(start time.Time) string {
	return fmt.Sprintf("%s-%d", start.UTC().Format("20060102T150405.000000"), os.Getpid())
}

// Write stamps e with the time and the run and appends it as one line. It
// returns the error of a failed write; after one, it writes nothing more and
// returns nil (the caller has been told once).
func (w *Writer) Write(e Event) error {
	if w == nil {
		return nil
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.failed != nil {
		return nil
	}
	e.Time = w.now().UnixMicro()
	e.Run = w.run
	b, err := json.Marshal(e)
	if err != nil {
		return err
	}
	w.buf = append(append(w.buf[:0], b...), '\n')
	if _, err := w.f.Write(w.buf); err != nil {
		w.failed = fmt.Errorf("append to events log %s: %w", w.f.Name(), err)
		return w.failed
	}
	return nil
}

// Close closes the file.
func (w *Writer) Close() error {
	if w == nil {
		return nil
	}
	return w.f.Close()
}

// P and O make the optional fields.
func P(p int32) *int32 { return &p }
func O(o int64) *int64 { return &o }

// Read parses a whole events log, in file order. A line that is not one
// whole event is an error naming its number.
func Read(r io.Reader) ([]Event, error) {
	var out []Event
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64*1024), 16*1024*1024)
	for n := 1; sc.Scan(); n++ {
		if len(sc.Bytes()) == 0 {
			continue
		}
		var e Event
		if err := json.Unmarshal(sc.Bytes(), &e); err != nil {
			return nil, fmt.Errorf("line %d: %w", n, err)
		}
		if e.Kind == "" || e.Run == "" || e.Time == 0 {
			return nil, fmt.Errorf("line %d: an event needs t, run and kind", n)
		}
		out = append(out, e)
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	return out, nil
}

// ReadFile parses the events log at path, sorted by time (several processes
// may have written it; each line is stamped when it was written).
func ReadFile(path string) ([]Event, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	es, err := Read(f)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	sort.SliceStable(es, func(i, j int) bool { return es[i].Time < es[j].Time })
	return es, nil
}
