// manual-sync commits by hand, once per batch, and waits for the broker.
//
// Auto-commit is off. The loop polls a batch (at most MAX_POLL_RECORDS),
// processes every record, then commits with one CommitRecords call, which
// blocks until the broker has written the offsets. A crash in the middle of a
// batch leaves the committed offsets at the start of that batch: a restart
// processes at most that one batch again (duplicates), and nothing is ever
// committed before it was processed (no loss).
//
// A commit can fail (the broker restarts, the group rebalances). Wait: true
// makes the loop try it again, with backoff, before it polls anything more,
// so "at most the batch in hand" stays true through failures. Each try
// commits everything processed since the last good commit, not only the last
// batch: CommitRecords commits, per partition, one past the highest offset
// among the records given, and the worker hands it the last processed record
// of every partition still uncommitted.
//
// COMMIT_PER sets how often, with Spring Kafka's ack modes as the names, and
// with it what a crash repeats:
//
//	batch    after every polled batch (BATCH): at most the batch in hand
//	record   after every record (RECORD, MANUAL_IMMEDIATE): at most the
//	         record in hand, for a broker round trip per record
//	count:N  every N records (COUNT): at most N-1
//	time:T   every T (TIME): what was processed in the last T
//	none     never (the benchmark's baseline): everything, every time
package main

import (
	"context"
	"os"

	"github.com/twmb/franz-go/pkg/kgo"

	"offsetlab/internal/config"
	"offsetlab/internal/worker"
)

func main() {
	cfg, set, err := config.ParseConsumer("manual-sync", os.Args[1:], os.Getenv, config.ConsumerDefaults{
		Group:  "kitchen-sync",
		Log:    "processed-sync.log",
		Events: "events-sync.jsonl",

		CommitPer: true,
	})
	if err != nil {
		os.Exit(config.Fail("manual-sync", set, err))
	}

	os.Exit(worker.Run(cfg, worker.Strategy{
		Name: "manual-sync",
		Opts: []kgo.Opt{
			kgo.DisableAutoCommit(),
		},
		// When COMMIT_PER says (after the batch by default), and at a clean
		// stop with the part processed so far.
		Commit: func(ctx context.Context, cl *kgo.Client, latest []*kgo.Record) error {
			return cl.CommitRecords(ctx, latest...)
		},
		CommitWhy: "batch",
		CommitPer: cfg.CommitPer,
		Wait:      true,
	}))
}
