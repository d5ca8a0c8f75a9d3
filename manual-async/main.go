// manual-async marks each record as processed and lets commits happen both
// in the background and at the end of each batch.
//
// kgo.AutoCommitMarks keeps kgo's auto-commit timer but has it commit only
// what the code marked with MarkCommitRecords. Marking is local and costs
// nothing on the network. Two kinds of commit then send the marks to the
// broker:
//
//   - the timer, every COMMIT_EVERY (default 500ms), in the background: the
//     loop does not wait for it;
//   - CommitMarkedOffsets after each batch, which blocks until the broker has
//     the marks, so a finished batch is always committed before the next poll.
//
// A crash loses no record (only processed records are ever marked) and
// repeats only what was marked since the last of those two commits. A commit
// that fails is not tried again: the marks stay, and the next commit (timer or
// flush) sends them. The loop does not wait for it: that is what async means.
//
// COMMIT_PER=shutdown drops the flush after each batch: the timer alone
// commits while the loop runs, and one blocking CommitMarkedOffsets runs at a
// clean stop. That is the lesson texts' production pattern (commitAsync in the
// loop, commitSync at shutdown): the loop never waits for the broker, and a
// crash repeats what was marked since the last tick, up to COMMIT_EVERY's
// worth of records, instead of at most the batch in hand. The other COMMIT_PER
// values (record, count:N, time:T) flush that often instead of per batch.
package main

import (
	"context"
	"os"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"offsetlab/internal/config"
	"offsetlab/internal/worker"
)

func main() {
	cfg, set, err := config.ParseConsumer("manual-async", os.Args[1:], os.Getenv, config.ConsumerDefaults{
		Group:       "kitchen-async",
		Log:         "processed-async.log",
		Events:      "events-async.jsonl",
		CommitEvery: 500 * time.Millisecond,

		CommitPer: true,
	})
	if err != nil {
		os.Exit(config.Fail("manual-async", set, err))
	}

	os.Exit(worker.Run(cfg, worker.Strategy{
		Name: "manual-async",
		Opts: []kgo.Opt{
			kgo.AutoCommitMarks(),
			kgo.AutoCommitInterval(cfg.CommitEvery),
		},
		// The record's line is already in the log: it may now be committed.
		Processed: func(cl *kgo.Client, r *kgo.Record) {
			cl.MarkCommitRecords(r)
		},
		Commit: func(ctx context.Context, cl *kgo.Client, _ []*kgo.Record) error {
			return cl.CommitMarkedOffsets(ctx)
		},
		CommitWhy: "flush",
		CommitPer: cfg.CommitPer,
	}))
}
