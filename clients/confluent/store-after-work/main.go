// confluent-store is the usual fix for librdkafka's auto-commit: the
// application stores a message's offset itself, after the work
// (enable.auto.offset.store=false, then StoreMessage), and librdkafka's
// background thread goes on committing what is stored every
// auto.commit.interval.ms (COMMIT_EVERY).
//
// The commit can no longer pass a message in hand: nothing is lost. What was
// processed since the last commit repeats after a crash (up to
// COMMIT_EVERY's worth), as with franz-go's auto-commit.
package main

import (
	"os"
	"time"

	"github.com/confluentinc/confluent-kafka-go/v2/kafka"

	"offsetlab/clients/confluent/internal/rdkafka"
	"offsetlab/internal/config"
	"offsetlab/internal/otherclient"
)

func main() {
	const name = "confluent-store"
	cfg, set, err := config.ParseClient(name, os.Args[1:], os.Getenv, config.ClientDefaults{
		Group:  "kitchen-confluent-store",
		Log:    "processed-confluent-store.log",
		Events: "events-confluent-store.jsonl",

		TakesCommitEvery: true,
		CommitEvery:      5 * time.Second, // librdkafka's auto.commit.interval.ms default
		CommitEveryMin:   100 * time.Millisecond,
	})
	if err != nil {
		os.Exit(config.Fail(name, set, err))
	}
	conn, err := otherclient.LibrdkafkaConnection(cfg.Conn)
	if err != nil {
		os.Exit(otherclient.Refused(name, err))
	}
	run, err := otherclient.Start(name, cfg)
	if err != nil {
		os.Exit(otherclient.Refused(name, err))
	}
	c, err := kafka.NewConsumer(rdkafka.Config(conn, kafka.ConfigMap{
		"group.id":           cfg.Group,
		"group.instance.id":  run.StaticMember(), // static membership: a restart takes its partitions back at once
		"enable.auto.commit": true,
		// The fix: librdkafka no longer stores an offset as it hands the
		// message over; StoreMessage does, after the work.
		"enable.auto.offset.store": false,
		"auto.commit.interval.ms":  int(cfg.CommitEvery.Milliseconds()),
	}))
	if err != nil {
		os.Exit(run.End(err)) // a property librdkafka refuses
	}
	rdkafka.Logs(run, c)
	if err := c.SubscribeTopics([]string{cfg.Topic}, rdkafka.Rebalanced(run)); err != nil {
		c.Close()
		os.Exit(run.End(err))
	}

	ctx := run.Context()
	for ctx.Err() == nil {
		switch e := c.Poll(100).(type) {
		case *kafka.Message:
			if err := run.Process(e.TopicPartition.Partition, int64(e.TopicPartition.Offset), e.Key, e.Value); err != nil {
				os.Exit(otherclient.ExitCrash) // no Close: no final commit
			}
			// Done and logged: now the next auto-commit may cover it.
			if _, err := c.StoreMessage(e); err != nil {
				run.Say("StoreMessage p%d@%d: %v", e.TopicPartition.Partition, e.TopicPartition.Offset, err)
			}
		case kafka.OffsetsCommitted:
			if e.Error != nil {
				run.CommitFailed("auto", e.Error)
			} else {
				run.Committed("auto", rdkafka.Offsets(cfg.Topic, e.Offsets))
			}
		case kafka.Error:
			run.Say("librdkafka error: %v", e)
		}
	}
	// A stop: Close commits what is stored and leaves the group.
	os.Exit(run.End(c.Close()))
}
