// kafkago-read reads with kafka-go's ReadMessage, the way kafka-go's README
// reads a consumer group. ReadMessage hands the message over and takes it as
// done in the same call: the commit comes before the work.
//
// With CommitInterval 0 (kafka-go's default, COMMIT_EVERY=0 here)
// ReadMessage commits each message synchronously before it returns it
// (reader.go, ReadMessage: FetchMessage then CommitMessages). A crash with a
// message in hand loses it: the group has already moved past it. Nothing is
// ever repeated, since nothing is processed before it is committed.
//
// With CommitInterval set (COMMIT_EVERY=1s), ReadMessage only queues the
// offset, and a background goroutine commits the queue on a ticker
// (reader.go, commitLoopInterval), and once more when the Reader closes. A
// crash then repeats what was processed since the last tick, and loses the
// message in hand if a tick came while it was worked on.
package main

import (
	"os"
	"time"

	"github.com/segmentio/kafka-go"

	"offsetlab/internal/config"
	"offsetlab/internal/otherclient"
)

func main() {
	const name = "kafkago-read"
	cfg, set, err := config.ParseClient(name, os.Args[1:], os.Getenv, config.ClientDefaults{
		Group:  "kitchen-kafkago-read",
		Log:    "processed-kafkago-read.log",
		Events: "events-kafkago-read.jsonl",

		TakesCommitEvery: true, // kafka-go's CommitInterval; 0 is its default
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
		Brokers: cfg.Conn.Brokers,
		GroupID: cfg.Group,
		Topic:   cfg.Topic,
		Dialer:  dialer,
		// 0: every ReadMessage commits before it returns; more: a ticker.
		CommitInterval: cfg.CommitEvery,
		// A group with nothing committed starts at the beginning, as the
		// lab's other consumers do (kafka-go's default is FirstOffset too).
		StartOffset: kafka.FirstOffset,
		// kafka-go has no static membership: a restart after a crash
		// waits until the dead member's session ends. Kafka's least
		// session (group.min.session.timeout.ms) keeps that wait short.
		SessionTimeout: 6 * time.Second,
		// Without it the Reader waits up to 10 s for a fetch to fill.
		MaxWait: 500 * time.Millisecond,
		// kafka-go logs each commit once the broker has answered: the
		// run's commit lines are its words.
		Logger:      run.KafkaGoLogger(commitCause(cfg.CommitEvery)),
		ErrorLogger: run.KafkaGoErrorLogger(),
	})

	ctx := run.Context()
	for {
		m, err := r.ReadMessage(ctx)
		if err != nil {
			// A stop (Ctrl+C, IDLE_EXIT): Close leaves the group, and
			// with CommitInterval commits what was queued. A stop that
			// came while ReadMessage waited for its commit has dropped
			// that message, its offset committed: End says so.
			r.Close()
			os.Exit(run.End(err))
		}
		if err := run.Process(int32(m.Partition), m.Offset, m.Key, m.Value); err != nil {
			os.Exit(otherclient.ExitCrash) // no Close: a dead process commits nothing more
		}
	}
}

// commitCause names who commits: ReadMessage itself, or the ticker.
func commitCause(interval time.Duration) string {
	if interval == 0 {
		return "read"
	}
	return "interval"
}
