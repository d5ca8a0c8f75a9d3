// db-offsets keeps its offsets where it keeps its results: in the database,
// in the same transaction. Kafka's consumer docs call this storing offsets
// outside Kafka.
//
// Each order's ticket and its partition's next offset are written in one
// database transaction, so the database always says exactly which orders it
// has prepared. Whenever partitions are assigned (at the start, after a
// crash, in a rebalance) the consumer reads the next offsets from the
// database and starts there (kgo.AdjustFetchOffsetsFn). Nothing it has
// prepared is delivered again, and nothing past what it prepared is skipped:
// deliveries themselves do not repeat.
//
// The cost: one transaction per record, like the idempotent consumer, but no
// table of keys (one row per partition), and no need for a key that names
// the event. What it needs instead: the effects and the offsets in one
// database, and tools that read Kafka's committed offsets (lag, resets) no
// longer tell it where to start.
package main

import (
	"context"
	"fmt"
	"os"

	"github.com/twmb/franz-go/pkg/kgo"

	"offsetlab/internal/advice"
	"offsetlab/internal/config"
	"offsetlab/internal/tickets"
	"offsetlab/internal/worker"
)

func main() {
	cfg, set, err := config.ParseConsumer("db-offsets", os.Args[1:], os.Getenv, config.ConsumerDefaults{
		Group:    "kitchen-db-offsets",
		Log:      "processed-db-offsets.log",
		Events:   "events-db-offsets.jsonl",
		Database: true,
	})
	if err != nil {
		os.Exit(config.Fail("db-offsets", set, err))
	}
	// Before anything is consumed: a database that cannot be reached or
	// written refuses the start, with nothing read, logged or committed.
	kitchen, err := tickets.Open(context.Background(), cfg.Database)
	if err != nil {
		fmt.Fprintf(os.Stderr, "db-offsets: error: %s\n", advice.Error(err))
		os.Exit(worker.ExitSettings)
	}

	os.Exit(worker.Run(cfg, worker.Strategy{
		Name: "db-offsets",
		Opts: []kgo.Opt{
			kgo.DisableAutoCommit(),
		},
		// Where each partition resumes: the database's next offset, never
		// the group's committed one.
		Resume: func(ctx context.Context) (map[int32]int64, error) {
			return kitchen.Offsets(ctx, cfg.Group, cfg.Topic)
		},
		ResumeFrom: "the database",
		// The ticket and the partition's next offset, in one transaction.
		Effect: func(ctx context.Context, _ *kgo.Client, r *kgo.Record) (string, error) {
			done, stored, err := kitchen.PrepareAt(ctx, tickets.FromRecord(r, cfg.Group, "db-offsets", cfg.Instance))
			if err != nil || done {
				return "", err
			}
			// Only a copy that lost the partition while it worked gets here.
			return fmt.Sprintf("p%d@%d is already in the database (its next offset there is %d): skipped", r.Partition, r.Offset, stored), nil
		},
		// Kafka's committed offsets are only a copy, for the lag tools
		// (make group-describe-*, kadm's Lag) and for anyone reading the
		// group from outside: the run never resumes from them. So a copy
		// that fails is not tried again (the next batch's copy covers it):
		// a copy behind the database costs a lag figure too high, nothing
		// more.
		Commit: func(ctx context.Context, cl *kgo.Client, latest []*kgo.Record) error {
			return cl.CommitRecords(ctx, latest...)
		},
		CommitWhy: "copy",
	}))
}
