package worker

import (
	"context"
	"errors"
	"syscall"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"

	"offsetlab/internal/cluster"
	"offsetlab/internal/config"
)

// fetchErrors reports what a poll brought besides records. Only errors that
// waiting cannot cure end the run: a broker that went away is waited for
// (kgo keeps trying to reach it and rejoins the group by itself).
func (w *worker) fetchErrors(ctx context.Context, fetches kgo.Fetches) (int, bool) {
	code, fatal := 0, false
	fetches.EachError(func(topic string, p int32, err error) {
		if fatal {
			return
		}
		var gs *kgo.ErrGroupSession
		switch {
		case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		case errors.Is(err, kerr.FencedInstanceID):
			code, fatal = w.fenced(), true
		case unreachable(err):
			// Old news by the time a poll hands it over (kgo queues it when
			// the group session ends, and the loop may have been busy):
			// kgo's dial hook has already said the broker went, and says
			// when it is back.
		case errors.Is(err, kerr.UnknownTopicOrPartition), errors.Is(err, kerr.UnknownTopicID):
			if _, perr := w.adm.Partitions(ctx, w.cfg.Topic); errors.Is(perr, cluster.ErrTopicMissing) {
				w.out.Printf("error: topic %s was deleted while this run read it: waiting cannot bring it back, stopping", w.cfg.Topic)
				code, fatal = ExitSettings, true
			}
		case errors.Is(err, kerr.UnreleasedInstanceID) && w.cfg.GroupProtocol == config.ProtocolConsumer:
			// KIP-848 keeps a static member that did not leave (a crash, a
			// kill) until its session times out; only then may a new process
			// take its instance id. The classic protocol hands it over at once.
			w.unreleased.Store(true)
			if !w.unreleasedSaid {
				w.unreleasedSaid = true
				w.out.Printf("the group still holds static member %s for the run before this one (it did not leave: a crash or a kill). Under GROUP_PROTOCOL=consumer (KIP-848) the broker frees it only when that member's session times out (group.consumer.session.timeout.ms, 45 s by default); waiting (the classic protocol hands the id over at once)", w.id)
			}
		case errors.As(err, &gs) && !curable(err):
			w.out.Printf("error: group session ended for good: %v (waiting cannot cure this: stopping)", err)
			code, fatal = ExitSettings, true
		case errors.As(err, &gs):
			w.out.Printf("group session ended: %v; kgo rejoins the group by itself", err)
		default:
			w.out.Printf("fetch error on %s p%d: %v (kgo retries)", topic, p, err)
		}
	})
	return code, fatal
}

// kgoCommitErr is the first per-partition error of a commit response.
func kgoCommitErr(resp *kmsg.OffsetCommitResponse) error {
	for _, t := range resp.Topics {
		for _, p := range t.Partitions {
			if err := kerr.ErrorForCode(p.ErrorCode); err != nil {
				return err
			}
		}
	}
	return nil
}

// fenced explains FENCED_INSTANCE_ID and returns its exit code.
func (w *worker) fenced() int {
	w.out.Printf("error: fenced: another process joined group %s as static member %s, so the broker dropped this one. "+
		"Each running copy needs its own INSTANCE (this one has INSTANCE=%d): stop the other copy, or start this one with another INSTANCE",
		w.cfg.Group, w.id, w.cfg.Instance)
	return ExitFenced
}

// unreachable says whether err means the broker could not be reached (a
// refused or broken connection), as opposed to an answer from a broker.
func unreachable(err error) bool {
	return kgo.IsRetryableBrokerErr(err) || errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, syscall.ECONNRESET)
}

// curable says whether waiting (kgo retrying, the group rebalancing, a broker
// coming back) can make err go away.
func curable(err error) bool {
	if unreachable(err) || kerr.IsRetriable(err) || groupMoved(err) {
		return true
	}
	var ke *kerr.Error
	if !errors.As(err, &ke) {
		// Not an answer from the broker (a timeout, a closed connection):
		// worth waiting for.
		return true
	}
	return false
}

// droppedMember says whether a commit was refused because the group no
// longer counts this member in (its generation or epoch is gone): the
// partitions it held may have gone to another member meanwhile.
func droppedMember(err error) bool {
	return errors.Is(err, kerr.IllegalGeneration) || errors.Is(err, kerr.UnknownMemberID) ||
		errors.Is(err, kerr.StaleMemberEpoch) || errors.Is(err, kerr.FencedMemberEpoch)
}

// groupMoved says whether a commit was refused because the group has a newer
// generation than this member: it can only succeed after the member rejoined.
func groupMoved(err error) bool {
	return errors.Is(err, kerr.IllegalGeneration) || errors.Is(err, kerr.RebalanceInProgress) ||
		errors.Is(err, kerr.UnknownMemberID) || errors.Is(err, kerr.StaleMemberEpoch)
}
