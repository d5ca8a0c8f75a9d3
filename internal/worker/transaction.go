package worker

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// registerTransactionalID registers the strategy's transactional id before
// the group is joined.
func (w *worker) registerTransactionalID(ctx context.Context) error {
	// Java's initTransactions(), at once: kgo would register the
	// transactional id only at the first produce, but the group asks where
	// to resume before that, and while a killed run's transaction holds
	// offsets it committed, Kafka answers UNSTABLE_OFFSET_COMMIT (kgo
	// always asks for stable offsets) until that transaction ends: a
	// restart killed between TxnOffsetCommit and EndTxn would wait out the
	// transaction timeout. Registering the id bumps the producer epoch,
	// which fences the old producer and aborts its transaction now.
	ictx, cancel := context.WithTimeout(ctx, 15*time.Second)
	id, epoch, err := w.cl.ProducerID(ictx)
	cancel()
	if err != nil {
		w.cl.Close()
		return fmt.Errorf("transactional id %v: %w", w.cl.OptValue(kgo.TransactionalID), err)
	}
	w.out.Printf("transactional id %v is producer %d, epoch %d: an earlier producer with this id is fenced, a transaction a killed run left open is aborted (with no restart, the broker aborts it once it is older than %v)",
		w.cl.OptValue(kgo.TransactionalID), id, epoch, w.cl.OptValue(kgo.TransactionTimeout))
	return nil
}

// endTransaction ends the batch's transaction: a commit when the whole batch
// was processed, else an abort (the batch was cut short: ending with a commit
// would commit the offsets of records never processed). It says what went
// with it. Ending a transaction fails only for good (kgo retries inside).
func (w *worker) endTransaction(whole bool, records int) (int, bool) {
	var sent map[int32]int64
	ctx := kgo.PreTxnCommitFnContext(context.Background(), func(req *kmsg.TxnOffsetCommitRequest) error {
		sent = map[int32]int64{}
		for _, t := range req.Topics {
			if t.Topic == w.cfg.Topic {
				for _, p := range t.Partitions {
					sent[p.Partition] = p.Offset
				}
			}
		}
		return nil
	})
	try := kgo.TryCommit
	if !whole {
		try = kgo.TryAbort
	}
	committed, err := w.sess.End(ctx, try)
	switch {
	case err != nil:
		w.commitFailed("transaction", nil, err)
		w.out.Printf("transaction FAILED: %v. Stopping: its %d tickets are discarded, and a restart processes its records again", err, records)
		return ExitSettings, true
	case committed:
		w.commits.report("transaction", sent)
	case !whole:
		w.commitFailed("transaction", nil, errors.New("aborted: the batch was cut short"))
		w.out.Printf("transaction ABORTED: the batch was cut short after %d records; their tickets are discarded, a restart processes them again", records)
	default:
		w.commitFailed("transaction", nil, errors.New("aborted: the group rebalanced during it"))
		w.out.Printf("transaction ABORTED: the group rebalanced during it; its %d tickets are discarded, whoever holds the partitions now processes the records again", records)
	}
	return 0, false
}

// spans is "p0@5-9, p1@0" for a batch of records, in the order polled.
func spans(rs []*kgo.Record) string {
	var out []string
	for i := 0; i < len(rs); {
		j := i
		for j+1 < len(rs) && rs[j+1].Partition == rs[i].Partition {
			j++
		}
		span := fmt.Sprintf("p%d@%d", rs[i].Partition, rs[i].Offset)
		if j > i {
			span += fmt.Sprintf("-%d", rs[j].Offset)
		}
		out = append(out, span)
		i = j + 1
	}
	return strings.Join(out, ", ")
}
