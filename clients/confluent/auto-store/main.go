// confluent-auto is confluent-kafka-go with librdkafka's defaults: the
// consumer a Go developer gets from the client's examples.
//
// enable.auto.commit=true: a background thread commits every
// auto.commit.interval.ms (5 s by default; COMMIT_EVERY here) whatever
// offsets are stored. enable.auto.offset.store=true: librdkafka stores a
// message's offset itself, as Poll hands the message to the application,
// before any work on it ("Automatically store offset of last message
// provided to application", librdkafka's CONFIGURATION.md).
//
// So the commit can cover a message that is still in hand: a crash during
// its work loses it (the lesson's loss, real here, unlike franz-go's and
// Java's auto-commit, which commit one poll behind). And what was processed
// since the last commit repeats.
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
	const name = "confluent-auto"
	cfg, set, err := config.ParseClient(name, os.Args[1:], os.Getenv, config.ClientDefaults{
		Group:  "kitchen-confluent-auto",
		Log:    "processed-confluent-auto.log",
		Events: "events-confluent-auto.jsonl",

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
		"group.id":          cfg.Group,
		"group.instance.id": run.StaticMember(), // static membership: a restart takes its partitions back at once
		// librdkafka's defaults, spelled out: they are the lesson.
		"enable.auto.commit":       true,
		"enable.auto.offset.store": true,
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
			// Its offset is stored already: the next auto-commit covers it.
			if err := run.Process(e.TopicPartition.Partition, int64(e.TopicPartition.Offset), e.Key, e.Value); err != nil {
				os.Exit(otherclient.ExitCrash) // no Close: no final commit
			}
		case kafka.OffsetsCommitted:
			// librdkafka's report of each commit, its timer's included.
			if e.Error != nil {
				run.CommitFailed("auto", e.Error)
			} else {
				run.Committed("auto", rdkafka.Offsets(cfg.Topic, e.Offsets))
			}
		case kafka.Error:
			run.Say("librdkafka error: %v", e)
		}
	}
	// A stop: Close commits what is stored and leaves the group. Under
	// these defaults Close polls the queue until it is closed and drops
	// the messages that poll hands over, each offset stored on the way:
	// its final commit can pass records never processed. End says so.
	os.Exit(run.End(c.Close()))
}
