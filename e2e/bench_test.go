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
// embedded one, on loopback: a floor, not a cloud number). Compare the
// sub-benchmarks with each other within one run; absolute numbers on a noisy
// 2-core machine say little.
//
//	make bench    (go test -bench CommitCost -benchtime 2000x ./e2e/)
func BenchmarkCommitCost(b *testing.B) {
	const records = 2000
	cases := []struct {
		name      string
		opts      []kgo.Opt
		perRecord func(context.Context, *kgo.Client, *kgo.Record) error
		perBatch  func(context.Context, *kgo.Client, []*kgo.Record) error
	}{
		{"sync-CommitRecords-per-record", []kgo.Opt{kgo.DisableAutoCommit()},
			func(ctx context.Context, cl *kgo.Client, r *kgo.Record) error { return cl.CommitRecords(ctx, r) }, nil},
		{"sync-CommitRecords-per-batch-of-5", []kgo.Opt{kgo.DisableAutoCommit()},
			nil, func(ctx context.Context, cl *kgo.Client, rs []*kgo.Record) error { return cl.CommitRecords(ctx, rs...) }},
		{"async-mark-per-record-flush-per-batch-of-5", []kgo.Opt{kgo.AutoCommitMarks(), kgo.AutoCommitInterval(500 * time.Millisecond)},
			func(_ context.Context, cl *kgo.Client, r *kgo.Record) error { cl.MarkCommitRecords(r); return nil },
			func(ctx context.Context, cl *kgo.Client, _ []*kgo.Record) error { return cl.CommitMarkedOffsets(ctx) }},
		{"auto-commit-nothing-in-the-loop", []kgo.Opt{kgo.AutoCommitInterval(2 * time.Second)}, nil, nil},
	}
	l := newLab(b)
	l.seed(records)
	topic := l.topic
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			ctx := context.Background()
			opts := append([]kgo.Opt{
				kgo.SeedBrokers(strings.Split(brokers, ",")...),
				// A fresh group for every round b.Run makes, so each starts at offset 0.
				kgo.ConsumerGroup(fmt.Sprintf("bench-%s-%d", c.name, labSeq.Add(1))),
				kgo.ConsumeTopics(topic),
				kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()),
			}, c.opts...)
			cl, err := kgo.NewClient(opts...)
			if err != nil {
				b.Fatal(err)
			}
			defer cl.Close()
			var polled []*kgo.Record
			for len(polled) < records {
				pctx, cancel := context.WithTimeout(ctx, 10*time.Second)
				fs := cl.PollFetches(pctx)
				cancel()
				if err := fs.Err0(); err != nil {
					b.Fatal(err)
				}
				polled = append(polled, fs.Records()...)
			}
			// Each round must commit new offsets: re-committing old ones is a
			// no-op for CommitMarkedOffsets and would flatter it.
			if b.N > len(polled) {
				b.Skipf("b.N=%d is more than the %d records loaded; run with -benchtime %dx (make bench does)", b.N, len(polled), records)
			}
			b.ResetTimer()
			var batch []*kgo.Record
			for i := 0; i < b.N; i++ {
				r := polled[i]
				if c.perRecord != nil {
					if err := c.perRecord(ctx, cl, r); err != nil {
						b.Fatal(err)
					}
				}
				batch = append(batch, r)
				if len(batch) == 5 {
					if c.perBatch != nil {
						if err := c.perBatch(ctx, cl, batch); err != nil {
							b.Fatal(err)
						}
					}
					batch = batch[:0]
				}
			}
		})
	}
}
