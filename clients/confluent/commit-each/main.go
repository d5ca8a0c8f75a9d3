// confluent-commit commits each message after its work with CommitMessage,
// a blocking call, and turns librdkafka's background commits off
// (enable.auto.commit=false). enable.auto.offset.store stays at its default:
// with nothing committing in the background, a stored offset is never sent.
//
// A crash repeats at most the message between its work and its commit, and
// loses nothing, for a broker round trip per message.
package main

import (
	"os"

	"github.com/confluentinc/confluent-kafka-go/v2/kafka"

	"offsetlab/clients/confluent/internal/rdkafka"
	"offsetlab/internal/config"
	"offsetlab/internal/otherclient"
)

func main() {
	const name = "confluent-commit"
	cfg, set, err := config.ParseClient(name, os.Args[1:], os.Getenv, config.ClientDefaults{
		Group:  "kitchen-confluent-commit",
		Log:    "processed-confluent-commit.log",
		Events: "events-confluent-commit.jsonl",
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
		"enable.auto.commit": false,
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
				os.Exit(otherclient.ExitCrash) // no Close, no commit
			}
			// The work is done and logged: now the offset, waiting for
			// the broker's answer.
			committed, err := c.CommitMessage(e)
			if err != nil {
				run.CommitFailed("commit", err)
				c.Close()
				os.Exit(run.End(err))
			}
			run.Committed("commit", rdkafka.Offsets(cfg.Topic, committed))
		case kafka.Error:
			run.Say("librdkafka error: %v", e)
		}
	}
	// A stop: everything processed is committed already; Close leaves the group.
	os.Exit(run.End(c.Close()))
}
