package worker

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"offsetlab/internal/cluster"
	"offsetlab/internal/config"

	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// whereToResume says where the run resumes, and why: the group's committed
// offsets, or, for a strategy that keeps its own (Resume), those. It also
// starts the commit lines from what the group has committed.
func (w *worker) whereToResume(ctx context.Context) (map[int32]int64, error) {
	cfg := w.cfg
	committed, err := w.adm.Committed(ctx, cfg.Group, cfg.Topic)
	if err != nil {
		return nil, err
	}
	w.commits = newCommits(w.out, w.event, cfg.Topic, committed)
	w.commits.quiet = cfg.Print != config.PrintRecords
	resume := committed
	if w.s.Resume != nil {
		if resume, err = w.s.Resume(ctx); err != nil {
			return nil, err
		}
		w.out.Printf("%s has stored next offsets %s: the run resumes there, whatever group %s has committed (%s: a copy)",
			w.s.ResumeFrom, cluster.OffsetsLine(resume, w.partitions), cfg.Group, w.commits.summary(w.partitions))
	} else {
		w.out.Printf("group %s has committed %s: the run resumes there (- = nothing committed: from the %s offset)",
			cfg.Group, w.commits.summary(w.partitions), map[bool]string{false: "earliest", true: "latest"}[cfg.ResetLatest])
	}
	return resume, nil
}

// adjust is kgo's AdjustFetchOffsetsFn for a strategy that keeps its own
// offsets: every partition kgo was just assigned starts where Resume says,
// never at the group's committed offset (a copy at best, and possibly ahead
// of what the strategy's own store has).
func (w *worker) adjust(ctx context.Context, offsets map[string]map[int32]kgo.Offset) (map[string]map[int32]kgo.Offset, error) {
	if w.dead.Load() {
		return offsets, nil // crashed: a dead process resumes nothing
	}
	stored, err := w.s.Resume(ctx)
	if err != nil {
		// kgo would end the group session and try again, and again: the run
		// stops instead, as it does when an effect cannot be stored.
		err = fmt.Errorf("cannot read where to resume: %w", err)
		select {
		case w.halt <- err:
		default:
		}
		return nil, err
	}
	var from []string
	w.mu.Lock()
	for p := range offsets[w.cfg.Topic] {
		next, ok := stored[p]
		if !ok {
			offsets[w.cfg.Topic][p] = w.resetOffset()
			from = append(from, fmt.Sprintf("p%d from the %s offset (nothing stored)", p, map[bool]string{false: "earliest", true: "latest"}[w.cfg.ResetLatest]))
			continue
		}
		// Epoch -1: no truncation check against a leader epoch this offset
		// never had (kgo's advice for offsets that come from elsewhere).
		offsets[w.cfg.Topic][p] = kgo.NewOffset().At(next).WithEpoch(-1)
		w.fetched[p] = next
		from = append(from, fmt.Sprintf("p%d at %d", p, next))
	}
	w.mu.Unlock()
	slices.Sort(from)
	w.out.Printf("resuming %s, as %s has it", strings.Join(from, ", "), w.s.ResumeFrom)
	if w.s.Commit != nil && w.waitClient(ctx) {
		w.catchUp(ctx, stored, offsets[w.cfg.Topic])
	}
	return offsets, nil
}

// catchUp commits, for a strategy that keeps its own offsets and commits a
// copy to Kafka, the stored offsets Kafka's copy is behind on: a run killed
// after its store had the offsets and before the copy went out would
// otherwise leave the group's lag too high until the partition sees new
// records.
func (w *worker) catchUp(ctx context.Context, stored map[int32]int64, assigned map[int32]kgo.Offset) {
	committed := w.commits.known()
	behind := map[int32]kgo.EpochOffset{}
	for p := range assigned {
		next, ok := stored[p]
		if c, copied := committed[p]; ok && (!copied || c < next) {
			behind[p] = kgo.EpochOffset{Epoch: -1, Offset: next}
		}
	}
	if len(behind) == 0 {
		return
	}
	w.cl.CommitOffsetsSync(ctx, map[string]map[int32]kgo.EpochOffset{w.cfg.Topic: behind},
		func(_ *kgo.Client, req *kmsg.OffsetCommitRequest, resp *kmsg.OffsetCommitResponse, err error) {
			w.commits.answered("resume", req, resp, err)
		})
}
