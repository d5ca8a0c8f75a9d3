// idempotent delivers every order at least once, as manual-sync does, and
// prepares each order once all the same.
//
// Kafka's side is manual-sync's: CommitRecords after every batch, waited for.
// A crash repeats the uncommitted batch, so deliveries repeat. The effect
// does not: each order's ticket is written in one database transaction
// together with the order's idempotency key (its key plus its event type) in
// a table where that key is unique. A repeated delivery finds its key taken,
// writes nothing, and says so. The key and the ticket commit together, so no
// crash can leave one without the other.
//
// The cost: one database transaction per record, and a table of keys that
// grows with every order (a real system expires them after the longest
// redelivery it can see). What it needs of the messages: a key that names the
// event, the same in every delivery.
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
	cfg, set, err := config.ParseConsumer("idempotent", os.Args[1:], os.Getenv, config.ConsumerDefaults{
		Group:    "kitchen-idempotent",
		Log:      "processed-idempotent.log",
		Events:   "events-idempotent.jsonl",
		Database: true,
	})
	if err != nil {
		os.Exit(config.Fail("idempotent", set, err))
	}
	// Before anything is consumed: a database that cannot be reached or
	// written refuses the start, with nothing read, logged or committed.
	kitchen, err := tickets.Open(context.Background(), cfg.Database)
	if err != nil {
		fmt.Fprintf(os.Stderr, "idempotent: error: %s\n", advice.Error(err))
		os.Exit(worker.ExitSettings)
	}

	os.Exit(worker.Run(cfg, worker.Strategy{
		Name: "idempotent",
		Opts: []kgo.Opt{
			kgo.DisableAutoCommit(),
		},
		// The ticket and its idempotency key, in one transaction.
		Effect: func(ctx context.Context, _ *kgo.Client, r *kgo.Record) (string, error) {
			done, first, err := kitchen.PrepareOnce(ctx, idempotencyKey(r), tickets.FromRecord(r, cfg.Group, "idempotent", cfg.Instance))
			if err != nil || done {
				return "", err
			}
			return fmt.Sprintf("already prepared %s: skipped (its ticket came from p%d@%d, instance %d, at %s)",
				r.Key, first.Partition, first.Offset, first.Instance, first.PreparedAt.Local().Format("15:04:05.000")), nil
		},
		// Only after the batch's effects are stored, as manual-sync does.
		Commit: func(ctx context.Context, cl *kgo.Client, latest []*kgo.Record) error {
			return cl.CommitRecords(ctx, latest...)
		},
		CommitWhy: "batch",
		Wait:      true,
	}))
}

// idempotencyKey names the event, the same in every delivery: the order's
// key and what happened to it (the seed's event-type header). An order
// placed and an order cancelled are two events with two effects.
func idempotencyKey(r *kgo.Record) string {
	kind := "order-placed" // what the lab's topic holds, should a record carry no header
	for _, h := range r.Headers {
		if h.Key == "event-type" {
			kind = string(h.Value)
		}
	}
	return string(r.Key) + "/" + kind
}
