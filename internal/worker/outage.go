package worker

import (
	"fmt"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"offsetlab/internal/events"
	"offsetlab/internal/lines"
)

// remindEvery is how often a run waiting for its broker says it still waits.
const remindEvery = 5 * time.Second

// outage tracks whether the broker can be reached, so that losing it and
// getting it back are one line each, with a reminder every few seconds in
// between instead of a line per failed try.
type outage struct {
	out   *lines.Printer
	event func(events.Event) // the events log: when the broker went and came back
	dead  *atomic.Bool       // the run crashed: its client's dials are no news

	mu     sync.Mutex
	since  time.Time // zero while the broker answers
	said   time.Time
	last   error
	failed int    // commit tries that failed for want of a broker, not printed one by one
	addr   string // the broker a dial to failed, if a dial told
	probed time.Time
}

// down notes that the broker could not be reached.
func (o *outage) down(err error) { o.downAt("", err) }

// downAt notes that a dial to addr failed. On a cluster, another broker
// answering later does not mean this one is back: only a dial to addr, or
// a commit that went through, ends the outage.
func (o *outage) downAt(addr string, err error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.last = err
	if !o.since.IsZero() {
		return
	}
	o.since, o.said, o.addr = time.Now(), time.Now(), addr
	o.event(events.Event{Kind: events.Unreachable, Detail: err.Error()})
	at := ""
	if addr != "" {
		at = " at " + addr
	}
	o.out.Printf("lost the broker%s: %v. Waiting for it: kgo keeps trying to reach it and rejoins the group when it is back (Ctrl+C stops)", at, err)
}

// remind says, every few seconds, that the run still waits. First it asks,
// at most once a second, whether the lost broker accepts connections again:
// kgo dials a broker only when it has a request for it, and a run with
// nothing left to fetch or commit there (its group's coordinator moved to
// another broker, its records all processed and committed) would otherwise
// wait for that broker forever, never idle.
func (o *outage) remind() {
	o.probe()
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.since.IsZero() || time.Since(o.said) < remindEvery {
		return
	}
	o.said = time.Now()
	o.out.Printf("still waiting for the broker, %s so far%s (last error: %v)", time.Since(o.since).Round(time.Second), o.failedNote(), o.last)
}

// probe dials the lost broker's address, if a dial told which it is, and
// ends the outage when it accepts the connection.
func (o *outage) probe() {
	o.mu.Lock()
	addr, due := o.addr, !o.since.IsZero() && time.Since(o.probed) >= time.Second
	if due {
		o.probed = time.Now()
	}
	o.mu.Unlock()
	if addr == "" || !due {
		return
	}
	if c, err := net.DialTimeout("tcp", addr, 250*time.Millisecond); err == nil {
		c.Close()
		o.back(addr + " accepts connections again")
	}
}

// failedTry notes a commit try that failed for want of a broker. It is not
// printed on its own: the outage's lines count them.
func (o *outage) failedTry(err error) {
	o.down(err)
	o.mu.Lock()
	defer o.mu.Unlock()
	o.failed++
}

func (o *outage) failedNote() string {
	if o.failed == 0 {
		return ""
	}
	return fmt.Sprintf(", %d commit tries failed meanwhile", o.failed)
}

// back notes that the broker answers again.
func (o *outage) back(how string) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.since.IsZero() {
		return
	}
	o.out.Printf("the broker is back after %.1fs%s: %s", time.Since(o.since).Seconds(), o.failedNote(), how)
	o.event(events.Event{Kind: events.Reachable, Detail: how})
	o.since, o.failed, o.addr = time.Time{}, 0, ""
}

func (o *outage) isDown() bool {
	o.mu.Lock()
	defer o.mu.Unlock()
	return !o.since.IsZero()
}

// OnBrokerConnect is kgo's hook after every dial: a refused dial is the
// first sign of an outage, a successful one the first sign of its end.
func (o *outage) OnBrokerConnect(meta kgo.BrokerMetadata, _ time.Duration, _ net.Conn, err error) {
	if o.dead != nil && o.dead.Load() {
		return
	}
	addr := net.JoinHostPort(meta.Host, fmt.Sprint(meta.Port))
	if err != nil {
		o.downAt(addr, err)
		return
	}
	o.mu.Lock()
	other := o.addr != "" && o.addr != addr
	o.mu.Unlock()
	if !other {
		o.back(addr + " accepts connections again")
	}
}
