// Package rdkafka is what the lab's confluent-kafka-go consumers share and
// is not their lesson: librdkafka's configuration for the lab's brokers, its
// log lines as the run's, and its offsets in the lab's terms.
package rdkafka

import (
	"github.com/confluentinc/confluent-kafka-go/v2/kafka"

	"offsetlab/internal/otherclient"
)

// Config is the strategy's properties (main spells them out) plus the
// connection's (otherclient.LibrdkafkaConnection), and librdkafka's logs
// sent to a channel that Logs prints.
func Config(conn map[string]string, strategy kafka.ConfigMap) *kafka.ConfigMap {
	conf := kafka.ConfigMap{
		"go.logs.channel.enable": true,
		// The lab's other clients start a group with nothing committed
		// at the beginning too.
		"auto.offset.reset": "earliest",
	}
	for k, v := range conn {
		conf[k] = v
	}
	for k, v := range strategy {
		conf[k] = v
	}
	return &conf
}

// Logs prints what librdkafka logs at notice level or above (syslog's 5;
// its informational lines are about telemetry) as the run's lines, until
// the consumer is closed.
func Logs(run *otherclient.Run, c *kafka.Consumer) {
	go func() {
		for e := range c.Logs() {
			if e.Level <= 5 {
				run.Say("librdkafka %s: %s", e.Tag, e.Message)
			}
		}
	}()
}

// Offsets are the next offsets per partition of topic among tps, as a commit
// or a store reports them (an offset below 0 is librdkafka's "none").
func Offsets(topic string, tps []kafka.TopicPartition) map[int32]int64 {
	out := map[int32]int64{}
	for _, tp := range tps {
		if tp.Topic != nil && *tp.Topic == topic && tp.Error == nil && tp.Offset >= 0 {
			out[tp.Partition] = int64(tp.Offset)
		}
	}
	return out
}

// Rebalanced prints librdkafka's assignments and revocations as they come.
func Rebalanced(run *otherclient.Run) kafka.RebalanceCb {
	return func(_ *kafka.Consumer, e kafka.Event) error {
		run.Say("librdkafka: %v", e)
		return nil
	}
}
