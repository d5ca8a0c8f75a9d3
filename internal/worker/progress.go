package worker

import (
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
)

// noteLag keeps the lag for the progress line: the high watermarks a poll
// brought, less where this run will read next, over the partitions it holds.
func (w *worker) noteLag(fetches kgo.Fetches) {
	if w.hwm == nil {
		w.hwm = map[int32]int64{}
	}
	fetches.EachPartition(func(p kgo.FetchTopicPartition) {
		if p.HighWatermark >= 0 {
			w.hwm[p.Partition] = p.HighWatermark
		}
	})
	var lag int64
	w.mu.Lock()
	for p, end := range w.hwm {
		if next, ok := w.fetched[p]; ok && w.owned[p] && end > next {
			lag += end - next
		}
	}
	w.mu.Unlock()
	w.lag.Store(lag)
}

// progress prints, once a second until quit, what the run did: records
// processed, the rate over the last second, lag and commits (PRINT=progress).
func (w *worker) progress(quit <-chan struct{}) {
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	last, lastAt := int64(0), time.Now()
	for {
		select {
		case <-quit:
			return
		case now := <-tick.C:
			n := w.processed.Load()
			w.out.Printf("progress: %d processed (%.0f/s), lag %d, %d commits",
				n, float64(n-last)/now.Sub(lastAt).Seconds(), w.lag.Load(), w.commits.count())
			last, lastAt = n, now
		}
	}
}
