package faults

import (
	"fmt"
	"io"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// Injector installs faults into a running kfake cluster and remembers them,
// with what each has done, for `broker faults`.
type Injector struct {
	c   *kfake.Cluster
	log io.Writer // the broker's output: one line per request a fault affects

	mu     sync.Mutex
	faults []*installed
}

type installed struct {
	id      int
	spec    Spec
	added   time.Time
	handle  *kfake.FaultHandle // the error, if any
	delayed atomic.Int64       // requests held back, if a delay
	cleared atomic.Bool
}

// NewInjector returns an injector for c that reports to log.
func NewInjector(c *kfake.Cluster, log io.Writer) *Injector {
	return &Injector{c: c, log: log}
}

// Add installs a fault. The spec must have passed Check.
func (in *Injector) Add(s Spec) Status {
	in.mu.Lock()
	f := &installed{id: len(in.faults) + 1, spec: s, added: time.Now()}
	in.faults = append(in.faults, f)
	in.mu.Unlock()

	if s.Delay > 0 {
		in.delay(f)
	}
	if s.Err != "" {
		e, _ := ParseErr(s.Err) // checked by Check
		hits, last := 0, kmsg.Request(nil)
		f.handle = in.c.Fault(kfake.Fault{
			Keys:  []kmsg.Key{kmsg.OffsetCommit},
			Group: s.Group,
			Err:   e,
			Count: s.Count,
			// When runs for each request the fault is about to answer: say
			// so in the broker's output (it runs on the cluster goroutine,
			// one request at a time).
			When: func(req kmsg.Request) bool {
				if req == last {
					return true // the same request, asked again for its next partition
				}
				last = req
				hits++
				in.say(f, fmt.Sprintf("answered an OffsetCommit with %s", e.Message), hits)
				return true
			},
		})
	}
	fmt.Fprintf(in.log, "broker: fault %d added: %s\n", f.id, s)
	return in.status(f)
}

// delay holds back matching OffsetCommit requests before the broker handles
// them. kfake's SleepControl parks only this request (and the ones behind it
// on the same connection, as a slow broker would).
func (in *Injector) delay(f *installed) {
	in.c.ControlKey(int16(kmsg.OffsetCommit), func(kreq kmsg.Request) (kmsg.Response, error, bool) {
		in.c.KeepControl()
		left := f.spec.Count == All || int(f.delayed.Load()) < f.spec.Count
		if f.cleared.Load() || !left {
			in.c.DropControl()
			return nil, nil, false
		}
		if req := kreq.(*kmsg.OffsetCommitRequest); f.spec.Group != "" && req.Group != f.spec.Group {
			return nil, nil, false
		}
		n := f.delayed.Add(1)
		in.say(f, "holds an OffsetCommit for "+f.spec.Delay.String(), int(n))
		in.c.SleepControl(func() { time.Sleep(f.spec.Delay) })
		return nil, nil, false // then handled as usual (or by an error fault)
	})
}

func (in *Injector) say(f *installed, what string, n int) {
	of := ""
	if f.spec.Count != All {
		of = fmt.Sprintf(" of %d", f.spec.Count)
	}
	fmt.Fprintf(in.log, "broker: %s fault %d %s (%d%s)\n", time.Now().Format("15:04:05.000"), f.id, what, n, of)
}

// Clear removes every fault still active and says how many there were.
func (in *Injector) Clear() int {
	in.mu.Lock()
	defer in.mu.Unlock()
	n := 0
	for _, f := range in.faults {
		if in.status(f).Active {
			n++
		}
		f.cleared.Store(true)
		if f.handle != nil {
			f.handle.Remove()
		}
	}
	fmt.Fprintf(in.log, "broker: %d fault(s) cleared\n", n)
	return n
}

// List is every fault added since the broker started, oldest first.
func (in *Injector) List() []Status {
	in.mu.Lock()
	defer in.mu.Unlock()
	out := make([]Status, 0, len(in.faults))
	for _, f := range in.faults { // added in id order
		out = append(out, in.status(f))
	}
	return out
}

func (in *Injector) status(f *installed) Status {
	st := Status{ID: f.id, Spec: f.spec, Added: f.added, Cleared: f.cleared.Load()}
	hits := int(f.delayed.Load())
	if f.handle != nil {
		hits = max(hits, f.handle.Hits())
	}
	st.Hits = hits
	st.Active = !st.Cleared && (f.spec.Count == All || hits < f.spec.Count)
	return st
}

// Summary is `broker faults`' text for a list.
func Summary(ss []Status) string {
	if len(ss) == 0 {
		return "no faults: every OffsetCommit is answered normally"
	}
	var b strings.Builder
	active := 0
	for _, st := range ss {
		if st.Active {
			active++
		}
		b.WriteString(st.String() + "\n")
	}
	fmt.Fprintf(&b, "%d active", active)
	return b.String()
}
