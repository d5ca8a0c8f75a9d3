package otherclient

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"

	"offsetlab/internal/events"
)

// Why a commit happened, for the learner: the causes main and this package
// report commits with.
var whyText = map[string]string{
	"read":     "kafka-go's ReadMessage committed it before returning the message, blocking",
	"after":    "CommitMessages after the work, blocking",
	"interval": "kafka-go's committer: a CommitInterval ticker, and once more at Close",
	"auto":     "librdkafka's background auto-commit, as its OffsetsCommitted event reports it",
	"commit":   "CommitMessage after the work, blocking",
	"close":    "the client's final commit as it closed, seen at the broker",
	"in-hand":  "seen at the broker while the record was in hand",
}

// Committed reports a commit the client made, as the client reports it
// (a blocking call that returned, an OffsetsCommitted event): offsets are
// the next offsets per partition. One line (and one event) for a commit that
// moved a committed offset; none for one that did not.
func (r *Run) Committed(why string, offsets map[int32]int64) {
	r.mu.Lock()
	defer r.mu.Unlock()
	var parts []string
	moved := map[int32]int64{}
	for _, p := range slices.Sorted(maps.Keys(offsets)) {
		o := offsets[p]
		last, ok := r.committed[p]
		if ok && last == o {
			continue
		}
		part := fmt.Sprintf("p%d→%d", p, o)
		if ok && o < last {
			part += fmt.Sprintf(" (BACKWARDS from %d)", last)
		}
		parts = append(parts, part)
		moved[p] = o
		r.committed[p] = o
	}
	if len(parts) == 0 {
		return
	}
	r.moved++
	r.out.Printf("committed %s  (%s: %s)", strings.Join(parts, " "), why, whyText[why])
	r.event(events.Event{Kind: events.Commit, Cause: why, Offsets: events.OffsetsOf(moved)})
}

// CommitFailed reports a commit the client said failed.
func (r *Run) CommitFailed(why string, err error) {
	r.out.Printf("commit FAILED (%s): %v", why, err)
	r.event(events.Event{Kind: events.CommitFailed, Cause: why, Detail: err.Error()})
}

// seenAtBroker asks the broker what the group has committed and reports what
// moved since the last report.
func (r *Run) seenAtBroker(ctx context.Context, why string) {
	committed, err := r.adm.Committed(ctx, r.Cfg.Group, r.Cfg.Topic)
	if err != nil {
		if ctx.Err() == nil {
			r.out.Printf("warning: asking the broker what group %s has committed: %v", r.Cfg.Group, err)
		}
		return
	}
	r.Committed(why, committed)
}

func (r *Run) knownCommitted() map[int32]int64 {
	r.mu.Lock()
	defer r.mu.Unlock()
	return maps.Clone(r.committed)
}
