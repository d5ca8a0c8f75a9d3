// kafkago-fetch reads with kafka-go's FetchMessage, does the work, then
// commits with CommitMessages: kafka-go's way to commit after the work
// (reader.go: "FetchMessage does not commit offsets automatically").
//
// CommitMessages blocks until the broker has the offset (CommitInterval is
// 0, kafka-go's default). A crash can only strike between the work and its
// commit, or with a message in hand: a restart repeats at most the message in
// hand, and loses nothing. The price is a broker round trip per message.
package main

import (
	"context"
	"os"
	"time"

	"github.com/segmentio/kafka-go"

	"offsetlab/internal/config"
	"offsetlab/internal/otherclient"
)

func main() {
	const name = "kafkago-fetch"
	cfg, set, err := config.ParseClient(name, os.Args[1:], os.Getenv, config.ClientDefaults{
		Group:  "kitchen-kafkago-fetch",
		Log:    "processed-kafkago-fetch.log",
		Events: "events-kafkago-fetch.jsonl",
	})
	if err != nil {
		os.Exit(config.Fail(name, set, err))
	}
	dialer, err := otherclient.KafkaGoDialer(cfg.Conn)
	if err != nil {
		os.Exit(otherclient.Refused(name, err))
	}
	run, err := otherclient.Start(name, cfg)
	if err != nil {
		os.Exit(otherclient.Refused(name, err))
	}

	r := kafka.NewReader(kafka.ReaderConfig{
		Brokers:     cfg.Conn.Brokers,
		GroupID:     cfg.Group,
		Topic:       cfg.Topic,
		Dialer:      dialer,
		StartOffset: kafka.FirstOffset,
		// No static membership in kafka-go: a restart after a crash waits
		// out the dead member's session, Kafka's least here.
		SessionTimeout: 6 * time.Second,
		MaxWait:        500 * time.Millisecond,
		Logger:         run.KafkaGoLogger("after"), // its commit reports are the run's commit lines
		ErrorLogger:    run.KafkaGoErrorLogger(),
	})

	ctx := run.Context()
	for {
		m, err := r.FetchMessage(ctx)
		if err != nil {
			r.Close() // a stop: leave the group; everything processed is committed
			os.Exit(run.End(err))
		}
		if err := run.Process(int32(m.Partition), m.Offset, m.Key, m.Value); err != nil {
			os.Exit(otherclient.ExitCrash) // no Close, no commit
		}
		// The work is done and logged: now the offset. Not stopped by
		// Ctrl+C: the message processed is committed.
		if err := r.CommitMessages(context.WithoutCancel(ctx), m); err != nil {
			run.CommitFailed("after", err)
			r.Close()
			os.Exit(run.End(err))
		}
	}
}
