// auto-commit leaves committing to franz-go: nothing in the loop commits.
//
// kgo commits on a timer (COMMIT_EVERY, default 2s). What it commits is the
// part that surprises people, and where this lab and the lesson part ways:
//
//   - by default kgo commits ONE POLL BEHIND: a record becomes committable
//     only when the code polls again, i.e. after its whole batch was
//     processed. A crash then costs duplicates (everything since the last
//     tick), never records: at-least-once.
//   - with GREEDY=1 (kgo.GreedyAutoCommit) kgo commits everything a poll
//     returned, as soon as it returned it. A tick that fires while the batch
//     is still being worked on commits records nobody processed yet; a crash
//     after that tick loses them: the lesson's "lost orders". It takes a
//     crash inside a polled batch, so the loss demo polls the whole backlog at
//     once (MAX_POLL_RECORDS=0), works slowly and crashes late.
//   - "one poll behind" assumes the work is done when the code polls again.
//     With HANDOFF=N the loop hands each batch to N goroutines (a worker
//     pool, how consumers get sped up) and polls again at once: the records
//     become committable before anyone worked on them, and a crash loses
//     what the pool had not finished. No option of kgo's is involved: every
//     client that commits on a timer loses here.
package main

import (
	"os"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"offsetlab/internal/config"
	"offsetlab/internal/worker"
)

func main() {
	cfg, set, err := config.ParseConsumer("auto-commit", os.Args[1:], os.Getenv, config.ConsumerDefaults{
		Group:       "kitchen-auto",
		Log:         "processed-auto.log",
		Events:      "events-auto.jsonl",
		CommitEvery: 2 * time.Second,
		Greedy:      true,
		Handoff:     true,
	})
	if err != nil {
		os.Exit(config.Fail("auto-commit", set, err))
	}

	opts := []kgo.Opt{
		kgo.AutoCommitInterval(cfg.CommitEvery),
	}
	if cfg.Greedy {
		opts = append(opts, kgo.GreedyAutoCommit())
	}

	os.Exit(worker.Run(cfg, worker.Strategy{
		Name: "auto-commit",
		Opts: opts,
		// No Processed, no Commit: the code never commits.
	}))
}
