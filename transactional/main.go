// transactional turns every order into one ticket record in the output
// topic, exactly once for a read_committed reader, however often it is
// killed: Kafka's exactly-once, consume-transform-produce.
//
// Each polled batch is one Kafka transaction: the tickets the batch produces
// and the batch's consumed offsets are committed together, or not at all. A
// process killed mid-batch leaves its transaction open; the restart, with
// the same transactional id, fences the dead producer and its transaction is
// aborted. The restart resumes from the last committed transaction's
// offsets, so deliveries repeat (the aborted batch), but read_committed
// readers never see the aborted tickets: they see each order once.
//
// What it covers: Kafka to Kafka only. An effect outside Kafka (a database
// row, an e-mail) made while processing is not part of the transaction.
package main

import (
	"context"
	"fmt"
	"os"

	"github.com/twmb/franz-go/pkg/kgo"

	"offsetlab/internal/config"
	"offsetlab/internal/instance"
	"offsetlab/internal/worker"
)

func main() {
	cfg, set, err := config.ParseConsumer("transactional", os.Args[1:], os.Getenv, config.ConsumerDefaults{
		Group:    "kitchen-transactional",
		Log:      "processed-transactional.log",
		Events:   "events-transactional.jsonl",
		Transact: true,
	})
	if err != nil {
		os.Exit(config.Fail("transactional", set, err))
	}

	os.Exit(worker.Run(cfg, worker.Strategy{
		Name: "transactional",
		Opts: []kgo.Opt{
			// One producer identity per copy, as the static member id is: a
			// restart of the same INSTANCE fences the killed process's
			// producer, which aborts its open transaction at once instead of
			// after the transaction timeout.
			kgo.TransactionalID(instance.ID(cfg.Group, cfg.Instance)),
			// How long a transaction may stay open: the broker aborts one
			// whose producer went quiet for longer, which is what ends a
			// killed process's transaction when no restart fences it.
			// read_committed readers wait that long meanwhile.
			kgo.TransactionTimeout(cfg.TransactionTimeout),
			// Only committed input (an upstream that writes transactionally
			// may have aborted some of it).
			kgo.FetchIsolationLevel(kgo.ReadCommitted()),
			// Where to resume needs no option: kgo always asks for stable
			// offsets (KIP-447), so an offset a transaction is still
			// committing is waited for, never read half-written.
			// (RequireStableFetchOffsets, which once switched it on, is a
			// no-op in the franz-go the lab uses, v1.22.)
		},
		// The ticket, produced inside the batch's transaction.
		Effect: func(ctx context.Context, cl *kgo.Client, r *kgo.Record) (string, error) {
			ticket := &kgo.Record{Topic: cfg.Output, Key: r.Key, Value: fmt.Appendf(nil, "ticket for %s", r.Value)}
			return "", cl.ProduceSync(ctx, ticket).FirstErr()
		},
		Transact: true,
	}))
}
