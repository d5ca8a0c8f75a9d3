package worker

import (
	"bytes"
	"errors"
	"fmt"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"offsetlab/internal/config"
	"offsetlab/internal/events"
	"offsetlab/internal/lines"
)

// One line when the broker goes, failed tries counted rather than printed,
// one line when it is back.
func TestOutageLines(t *testing.T) {
	var out bytes.Buffer
	var evs []string
	o := &outage{out: &lines.Printer{W: &out, Prefix: "x"}, event: func(e events.Event) { evs = append(evs, e.Kind+": "+e.Detail) }}
	refused := errors.New("connection refused")
	o.back("nothing happened") // not down: says nothing
	o.failedTry(refused)
	o.failedTry(refused)
	o.down(refused)
	o.remind() // too soon for a reminder
	if !o.isDown() || strings.Count(out.String(), "\n") != 1 || !strings.Contains(out.String(), "lost the broker: connection refused") {
		t.Fatalf("got %q", out.String())
	}
	o.back("it accepts connections again")
	if o.isDown() || !strings.Contains(out.String(), "the broker is back after") || !strings.Contains(out.String(), "2 commit tries failed meanwhile: it accepts connections again") {
		t.Fatalf("got %q", out.String())
	}
	out.Reset()
	o.back("again")
	if out.Len() != 0 {
		t.Fatalf("a second back printed %q", out.String())
	}
	// The events log gets the outage's two ends, for the timeline's band.
	if want := "[broker-down: connection refused broker-back: it accepts connections again]"; fmt.Sprint(evs) != want {
		t.Fatalf("events %v, want %s", evs, want)
	}
}

// On a cluster, one broker dying is not over when another one answers:
// only that broker answering again, or a commit, ends the outage.
func TestOutageOfOneBrokerOfSeveral(t *testing.T) {
	var out bytes.Buffer
	o := &outage{out: &lines.Printer{W: &out, Prefix: "x"}, event: func(events.Event) {}}
	one, two := kgo.BrokerMetadata{Host: "127.0.0.1", Port: 9092}, kgo.BrokerMetadata{Host: "127.0.0.1", Port: 9093}
	o.OnBrokerConnect(one, 0, nil, errors.New("connection refused"))
	o.OnBrokerConnect(two, 0, nil, nil)
	if !o.isDown() || !strings.Contains(out.String(), "lost the broker at 127.0.0.1:9092: connection refused") {
		t.Fatalf("after another broker answered: down=%v %q", o.isDown(), out.String())
	}
	o.OnBrokerConnect(one, 0, nil, nil)
	if o.isDown() || !strings.Contains(out.String(), "127.0.0.1:9092 accepts connections again") {
		t.Fatalf("after the lost broker answered: down=%v %q", o.isDown(), out.String())
	}
}

// A lost broker that kgo has no request for is asked directly: once its
// address accepts connections again, the outage ends, without waiting for
// kgo to dial it.
func TestOutageEndsWhenTheLostBrokerListensAgain(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().(*net.TCPAddr)
	l.Close() // the broker is gone
	var out bytes.Buffer
	o := &outage{out: &lines.Printer{W: &out, Prefix: "x"}, event: func(events.Event) {}}
	o.OnBrokerConnect(kgo.BrokerMetadata{Host: "127.0.0.1", Port: int32(addr.Port)}, 0, nil, errors.New("connection refused"))
	o.remind()
	if !o.isDown() {
		t.Fatalf("nothing listens at %s, yet the outage ended: %q", addr, out.String())
	}
	back, err := net.Listen("tcp", addr.String()) // the broker is back
	if err != nil {
		t.Fatalf("could not listen on %s again: %v", addr, err)
	}
	defer back.Close()
	o.probed = time.Time{} // a second has passed
	o.remind()
	if o.isDown() || !strings.Contains(out.String(), addr.String()+" accepts connections again") {
		t.Fatalf("after %s listened again: down=%v %q", addr, o.isDown(), out.String())
	}
}

func TestKgoLogReadsSessions(t *testing.T) {
	type mtps map[string][]int32 // the shape kgo logs
	w := &worker{cfg: testConsumer("orders"), out: &lines.Printer{W: &bytes.Buffer{}}}
	l := kgoLog{w}
	l.Log(kgo.LogLevelInfo, "new group session begun", "group", "g", "added", mtps{"orders": {2, 0}, "other": {1}}, "lost", mtps{"orders": {1}})
	if len(w.sessionAdded) != 2 || w.sessionAdded[0] != 0 || w.sessionAdded[1] != 2 || len(w.sessionRevoked) != 1 || w.sessionRevoked[0] != 1 {
		t.Fatalf("added %v revoked %v", w.sessionAdded, w.sessionRevoked)
	}

	var out bytes.Buffer
	w.out = &lines.Printer{W: &out, Prefix: "x"}
	w.broker = &outage{out: w.out, event: w.event}
	l.Log(kgo.LogLevelDebug, "retrying request", "request", "Fetch", "tries", 1)
	if out.Len() != 0 {
		t.Fatalf("a retried fetch was printed: %q", out.String())
	}
	l.Log(kgo.LogLevelDebug, "retrying request", "request", "OffsetCommit", "tries", 2, "backoff", nil, "request_error", nil, "response_error", errors.New("COORDINATOR_NOT_AVAILABLE"))
	if !strings.Contains(out.String(), "commit try 2 failed inside kgo: COORDINATOR_NOT_AVAILABLE") {
		t.Fatalf("got %q", out.String())
	}
}

func testConsumer(topic string) config.Consumer { return config.Consumer{Topic: topic} }
