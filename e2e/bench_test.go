package e2e

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
)

// BenchmarkCommitCost measures what committing costs per processed record
// under each strategy's calls, against the benchmark run's broker (the
// embedded one unless LAB_TEST_BROKERS names another; on loopback either
// way: a floor, not a cloud number). Every case polls batches of 5, as the
// consumers do at MAX_POLL_RECORDS=5, from records already fetched, so the
// difference between cases is the commit. Compare the sub-benchmarks with
// each other within one run; absolute numbers on a noisy 2-core machine say
// little.
//
// The last three cases write one ticket record per order to the output topic,
// as the transactional consumer does: first with no commit at all, then
// at-least-once (the tickets, then CommitRecords), then exactly-once (the
// tickets and the offsets in one transaction). Their difference is what a
// transaction costs over a plain commit.
//
//	make bench    (go test -bench . -benchtime 2000x ./e2e/ ...)
func BenchmarkCommitCost(b *testing.B) {
	const records, batch = 2000, 5
	ticket := func(ctx context.Context, b *bench, r *kgo.Record) error {
		return b.cl.ProduceSync(ctx, &kgo.Record{Topic: b.output, Key: r.Key, Value: r.Value}).FirstErr()
	}
	cases := []struct {
		name      string
		opts      []kgo.Opt
		transact  bool
		perRecord func(context.Context, *bench, *kgo.Record) error
		perBatch  func(context.Context, *bench, []*kgo.Record) error
	}{
		{name: "sync-CommitRecords-per-record", opts: []kgo.Opt{kgo.DisableAutoCommit()},
			perRecord: func(ctx context.Context, b *bench, r *kgo.Record) error { return b.cl.CommitRecords(ctx, r) }},
		{name: "sync-CommitRecords-per-batch-of-5", opts: []kgo.Opt{kgo.DisableAutoCommit()},
			perBatch: func(ctx context.Context, b *bench, rs []*kgo.Record) error { return b.cl.CommitRecords(ctx, rs...) }},
		{name: "async-mark-per-record-flush-per-batch-of-5", opts: []kgo.Opt{kgo.AutoCommitMarks(), kgo.AutoCommitInterval(500 * time.Millisecond)},
			perRecord: func(_ context.Context, b *bench, r *kgo.Record) error { b.cl.MarkCommitRecords(r); return nil },
			perBatch:  func(ctx context.Context, b *bench, _ []*kgo.Record) error { return b.cl.CommitMarkedOffsets(ctx) }},
		{name: "auto-commit-nothing-in-the-loop", opts: []kgo.Opt{kgo.AutoCommitInterval(2 * time.Second)}},
		{name: "ticket-per-record-no-commit", opts: []kgo.Opt{kgo.DisableAutoCommit()}, perRecord: ticket},
		{name: "ticket-per-record-then-CommitRecords-per-batch-of-5", opts: []kgo.Opt{kgo.DisableAutoCommit()}, perRecord: ticket,
			perBatch: func(ctx context.Context, b *bench, rs []*kgo.Record) error { return b.cl.CommitRecords(ctx, rs...) }},
		{name: "ticket-per-record-in-a-transaction-per-batch-of-5", transact: true, perRecord: ticket,
			perBatch: func(ctx context.Context, b *bench, _ []*kgo.Record) error {
				committed, err := b.sess.End(ctx, kgo.TryCommit)
				if err == nil && !committed {
					err = fmt.Errorf("the transaction was aborted")
				}
				return err
			}},
	}
	l := newLab(b)
	l.seed(records)
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			// Each round must commit new offsets: re-committing old ones is a
			// no-op for CommitMarkedOffsets and would flatter it.
			if b.N > records {
				b.Skipf("b.N=%d is more than the %d records loaded; run with -benchtime %dx (make bench does)", b.N, records, records)
			}
			ctx := context.Background()
			// A fresh group for every round b.Run makes, so each starts at offset 0.
			group := fmt.Sprintf("bench-%s-%d", c.name, labSeq.Add(1))
			opts := append([]kgo.Opt{
				kgo.SeedBrokers(strings.Split(brokers, ",")...),
				kgo.ConsumerGroup(group),
				kgo.ConsumeTopics(l.topic),
				kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()),
			}, c.opts...)
			bn := &bench{output: l.topic + ".tickets"}
			var err error
			if c.transact {
				opts = append(opts, kgo.TransactionalID(group), kgo.FetchIsolationLevel(kgo.ReadCommitted()))
				if bn.sess, err = kgo.NewGroupTransactSession(opts...); err == nil {
					bn.cl = bn.sess.Client()
				}
			} else {
				bn.cl, err = kgo.NewClient(opts...)
			}
			if err != nil {
				b.Fatal(err)
			}
			defer bn.cl.Close()
			// Fetch everything first (one fetch holds the 2000 records),
			// so the rounds time commits, not fetches.
			for wait := time.Now(); bn.cl.BufferedFetchRecords() < int64(b.N) && time.Since(wait) < 10*time.Second; {
				time.Sleep(10 * time.Millisecond)
			}
			b.ResetTimer()
			for done := 0; done < b.N; {
				if c.transact {
					if err := bn.sess.Begin(); err != nil {
						b.Fatal(err)
					}
				}
				pctx, cancel := context.WithTimeout(ctx, 10*time.Second)
				fs := bn.cl.PollRecords(pctx, min(batch, b.N-done))
				cancel()
				if err := fs.Err0(); err != nil {
					b.Fatal(err)
				}
				rs := fs.Records()
				for _, r := range rs {
					if c.perRecord != nil {
						if err := c.perRecord(ctx, bn, r); err != nil {
							b.Fatal(err)
						}
					}
				}
				if c.perBatch != nil {
					if err := c.perBatch(ctx, bn, rs); err != nil {
						b.Fatal(err)
					}
				}
				done += len(rs)
			}
		})
	}
}

// bench is one benchmark round's client.
type bench struct {
	cl     *kgo.Client
	sess   *kgo.GroupTransactSession // transactional cases only
	output string
}
