package worker

import (
	"context"
	"fmt"
	"slices"
	"time"
)

// idleOver says, once IDLE_EXIT has passed since *since without a record,
// whether the run may stop: only when this member has read everything it was
// assigned. Otherwise it says why it waits, and the clock starts again.
func (w *worker) idleOver(ctx context.Context, since *time.Time) bool {
	if w.cfg.IdleExit == 0 || time.Since(*since) < w.cfg.IdleExit {
		return false
	}
	caught, why := w.caughtUp(ctx)
	if caught {
		w.out.Printf("no record for %s and every assigned partition is read to its end: stopping (IDLE_EXIT)", w.cfg.IdleExit)
		return true
	}
	if !w.unreleased.Load() {
		w.out.Printf("idle for %s but %s: waiting", w.cfg.IdleExit, why)
	}
	*since = time.Now()
	return false
}

// caughtUp says whether every partition assigned to this member has been read
// to its log end: an idle run only stops once there is nothing left for it,
// never because one partition happened to deliver first.
func (w *worker) caughtUp(ctx context.Context) (bool, string) {
	memberID, _ := w.cl.GroupMetadata()
	g, err := w.adm.DescribeGroup(ctx, w.cfg.Group, w.cfg.Topic)
	if err != nil {
		return false, fmt.Sprintf("the group could not be described (%v)", err)
	}
	if g.State != "Stable" {
		return false, fmt.Sprintf("the group is %s", g.State)
	}
	var assigned []int32
	found := false
	for _, m := range g.Members {
		if m.MemberID == memberID {
			assigned, found = m.Assigned, true
		}
	}
	if !found {
		return false, "this member is not in the group yet"
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	for _, po := range g.Partitions {
		if !slices.Contains(assigned, po.Partition) {
			continue
		}
		// Where this member reads next: past what it was handed since the
		// partition was assigned, or else where the group resumes. Not what
		// the run processed before: a member that lost the group re-reads
		// from the last commit.
		pos := po.Resume()
		next, ok := w.fetched[po.Partition]
		if ok && next > pos {
			pos = next
		}
		if !ok && po.Committed < 0 && w.cfg.ResetLatest {
			// Nothing committed and nothing handed over yet: RESET=latest
			// started this member at the end, whatever came before.
			pos = po.LogEnd
		}
		if pos < po.LogEnd {
			return false, fmt.Sprintf("p%d is at %d of log end %d", po.Partition, pos, po.LogEnd)
		}
	}
	return true, ""
}
