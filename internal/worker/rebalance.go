package worker

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"

	"offsetlab/internal/cluster"
	"offsetlab/internal/events"
)

// sessionBegun is what kgo says when a group session begins (its log line
// "new group session begun"): the partitions it added and, in a cooperative
// rebalance, the ones it gave up. kgo calls OnPartitionsAssigned right after,
// with the added ones only; a strategy that keeps kgo's default revoke has no
// other way to learn what was taken.
func (w *worker) sessionBegun(added, revoked []int32) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.sessionAdded, w.sessionRevoked = added, revoked
}

// assigned runs when a group session begins, whether or not anything new was
// assigned. It prints what the rebalance kept, added and took away, and, for
// a strategy that commits what it processed, commits what this run processed
// on partitions that come back after the member lost the group.
func (w *worker) assigned(ctx context.Context, cl *kgo.Client, m map[string][]int32) {
	if w.dead.Load() {
		return // crashed: a dead process hears of no rebalance
	}
	added := m[w.cfg.Topic]
	w.unreleased.Store(false)
	w.mu.Lock()
	revoked := w.sessionRevoked
	var kept []int32
	for p := range w.owned {
		if !slices.Contains(revoked, p) && !slices.Contains(added, p) {
			kept = append(kept, p)
		}
	}
	for _, p := range revoked {
		delete(w.owned, p)
	}
	for _, p := range added {
		w.owned[p] = true
		delete(w.fetched, p) // kgo reads it anew from the group's committed offset
	}
	now := slices.Collect(maps.Keys(w.owned))
	w.sessionAdded, w.sessionRevoked = nil, nil
	w.dropped = nil // this session says who holds what
	w.mu.Unlock()

	w.broker.back("this member is in the group again")
	if len(added) > 0 {
		w.event(events.Event{Kind: events.Assigned, Partitions: sorted(added)})
	}
	if len(revoked) > 0 {
		w.event(events.Event{Kind: events.Revoked, Partitions: sorted(revoked)})
	}
	w.out.Printf("assigned %s after %.2fs (kept %s, added %s, revoked %s)", cluster.PartitionNames(now),
		time.Since(w.start).Seconds(), names(kept), names(added), names(revoked))
	if w.s.Commit != nil && len(added) > 0 {
		w.rejoined(ctx, cl, added)
	}
}

// listed says, under RESET=latest, where kgo starts reading partitions it
// looked up because the group has nothing committed there: what is produced
// there from now on is read, and the backlog before it never is.
func (w *worker) listed(at map[int32]kgo.EpochOffset) {
	if !w.cfg.ResetLatest {
		return
	}
	ps := slices.Sorted(maps.Keys(at))
	from := make([]string, len(ps))
	w.mu.Lock()
	for i, p := range ps {
		from[i] = fmt.Sprintf("p%d from %d", p, at[p].Offset)
		// Where this member reads next, for the idle check: not the log
		// end as it is when the check runs, which may have grown since.
		if _, ok := w.fetched[p]; !ok {
			w.fetched[p] = at[p].Offset
		}
	}
	w.mu.Unlock()
	w.out.Printf("reading %s: the latest offsets (RESET=latest), so what came before is skipped", strings.Join(from, ", "))
}

// rejoined commits, before kgo reads where to resume, what this run processed
// on partitions that come back to it. They were lost (the group forgot this
// member, as a broker restart does) with processed records not yet committed:
// kgo has dropped its record of them, and would resume at the last commit,
// repeating them. Committing them now is safe: the member owns the
// partitions in the new generation, and it commits only past what the group
// has committed (a member that held them meanwhile may have gone further).
func (w *worker) rejoined(ctx context.Context, cl *kgo.Client, added []int32) {
	w.mu.Lock()
	var mine []*kgo.Record
	for _, p := range added {
		if r, ok := w.position[p]; ok {
			mine = append(mine, r)
		}
	}
	w.mu.Unlock()
	if len(mine) == 0 {
		return // nothing processed there in this run: the first assignment
	}
	qctx, cancel := context.WithTimeout(ctx, cluster.ReachTimeout)
	defer cancel()
	committed, err := w.adm.Committed(qctx, w.cfg.Group, w.cfg.Topic)
	if err != nil {
		w.out.Printf("could not read the group's committed offsets (%v): the records this run processed past them may be processed again", err)
		return
	}
	offsets := map[int32]kgo.EpochOffset{}
	for _, r := range mine {
		if c, ok := committed[r.Partition]; ok && c > r.Offset {
			continue
		}
		offsets[r.Partition] = kgo.EpochOffset{Epoch: r.LeaderEpoch, Offset: r.Offset + 1}
	}
	if len(offsets) == 0 {
		return
	}
	cl.CommitOffsetsSync(ctx, map[string]map[int32]kgo.EpochOffset{w.cfg.Topic: offsets},
		func(_ *kgo.Client, req *kmsg.OffsetCommitRequest, resp *kmsg.OffsetCommitResponse, err error) {
			w.commits.answered("rejoin", req, resp, err)
		})
}

// revoked runs (for a strategy that waits for its commits) when partitions
// are taken away in a rebalance or as the member leaves: the last moment this
// member may commit them.
func (w *worker) revoked(ctx context.Context, _ *kgo.Client, m map[string][]int32) {
	if w.dead.Load() {
		return // crashed: a dead process hears of no rebalance
	}
	if !w.waitClient(ctx) {
		return
	}
	last := w.letGo(m[w.cfg.Topic])
	w.mu.Lock()
	var stale []*kgo.Record
	last = slices.DeleteFunc(last, func(r *kgo.Record) bool {
		if w.dropped[r.Partition] {
			stale = append(stale, r)
			return true
		}
		return false
	})
	w.mu.Unlock()
	if len(stale) > 0 {
		// Committing them now would be a zombie's commit: the broker takes
		// it (the member is in the group again), and it can move the
		// group's offsets back below what their new holder committed.
		w.out.Printf("not committing %s on revoke: the group dropped this member while it held them, and whoever held them since read them from the group's last commit (a commit now could move the group's offsets back)", describeRecords(stale))
	}
	if len(last) == 0 {
		return
	}
	if err := w.commitOnce(ctx, "revoke", last); err != nil {
		w.commitFailed("revoke", nil, err)
		w.out.Printf("commit FAILED (revoke): %v; %s go to whoever holds the partitions next, and are processed again", err, describeRecords(last))
	}
}

// lost runs when the group moved on without this member (its session ended:
// the broker restarted, or forgot it). It can commit nothing for these
// partitions any more; what it processed past the last commit is committed
// again if they come back to it (rejoined), else read again by their next
// holder.
func (w *worker) lost(_ context.Context, _ *kgo.Client, m map[string][]int32) {
	if w.dead.Load() {
		return // crashed: a dead process hears of no rebalance
	}
	gone := m[w.cfg.Topic]
	pending := w.letGo(gone)
	if len(gone) == 0 {
		return
	}
	note := ""
	if w.s.Commit != nil && len(pending) > 0 {
		note = fmt.Sprintf("; not yet committed: %s, committed once they come back to this member, else processed again by whoever gets them", describeRecords(pending))
	}
	w.out.Printf("lost %s (the group moved on without this member)%s", cluster.PartitionNames(gone), note)
	w.event(events.Event{Kind: events.Lost, Partitions: sorted(gone)})
}

// letGo forgets partitions this member no longer holds and returns, for
// those of them where this run processed past the last commit, the last
// record it processed there.
func (w *worker) letGo(gone []int32) []*kgo.Record {
	var left []*kgo.Record
	for _, r := range w.uncommitted() {
		if slices.Contains(gone, r.Partition) {
			left = append(left, r)
		}
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	for _, p := range gone {
		delete(w.owned, p)
	}
	return left
}

func sorted(ps []int32) []int32 {
	out := slices.Clone(ps)
	slices.Sort(out)
	return out
}

func names(ps []int32) string {
	if len(ps) == 0 {
		return "-"
	}
	return cluster.PartitionNames(ps)
}
