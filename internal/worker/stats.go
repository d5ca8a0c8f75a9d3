package worker

import (
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// commitTimes is a kgo hook that keeps how long every offset commit request
// took on the wire, from kgo's own measurement (write, wait, read: what a
// commit costs the code that waits for it), OffsetCommit and TxnOffsetCommit
// alike.
type commitTimes struct {
	mu   sync.Mutex
	took []time.Duration
}

func (c *commitTimes) OnBrokerE2E(_ kgo.BrokerMetadata, key int16, e2e kgo.BrokerE2E) {
	if key != kmsg.OffsetCommit.Int16() && key != kmsg.TxnOffsetCommit.Int16() {
		return
	}
	c.mu.Lock()
	c.took = append(c.took, e2e.DurationE2E())
	c.mu.Unlock()
}

// line is "N commit requests, p50 X ms, p99 Y ms" (or "no commit requests").
func (c *commitTimes) line() string {
	c.mu.Lock()
	took := slices.Clone(c.took)
	c.mu.Unlock()
	if len(took) == 0 {
		return "no commit requests"
	}
	slices.Sort(took)
	at := func(q float64) float64 {
		return float64(took[int(q*float64(len(took)-1))]) / float64(time.Millisecond)
	}
	noun := "commit requests"
	if len(took) == 1 {
		noun = "commit request"
	}
	return fmt.Sprintf("%d %s, p50 %.2f ms, p99 %.2f ms", len(took), noun, at(0.50), at(0.99))
}
