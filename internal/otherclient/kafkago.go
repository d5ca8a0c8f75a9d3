package otherclient

import (
	"fmt"
	"strings"
	"time"

	"github.com/segmentio/kafka-go"
	"github.com/segmentio/kafka-go/sasl"
	"github.com/segmentio/kafka-go/sasl/plain"
	"github.com/segmentio/kafka-go/sasl/scram"

	"offsetlab/internal/config"
)

// KafkaGoDialer is how a kafka-go Reader reaches the lab's brokers: the
// connection's TLS and SASL settings in kafka-go's terms. Main asks for it
// before Start, so that a refusal writes nothing.
func KafkaGoDialer(c config.Connection) (*kafka.Dialer, error) {
	d := &kafka.Dialer{Timeout: 10 * time.Second, DualStack: true, TLS: c.TLSConfig()}
	var err error
	switch c.SASLMechanism {
	case "":
	case "PLAIN":
		d.SASLMechanism = plain.Mechanism{Username: c.SASLUser, Password: string(c.SASLPassword)}
	case "SCRAM-SHA-256", "SCRAM-SHA-512":
		algo := scram.SHA256
		if c.SASLMechanism == "SCRAM-SHA-512" {
			algo = scram.SHA512
		}
		var m sasl.Mechanism
		m, err = scram.Mechanism(algo, c.SASLUser, string(c.SASLPassword))
		d.SASLMechanism = m
	default:
		err = fmt.Errorf("SASL_MECHANISM=%s: kafka-go has no such mechanism", c.SASLMechanism)
	}
	return d, err
}

// KafkaGoLogger prints what kafka-go logs (its group membership, the
// partitions it was given and from where it reads them) as the run's lines,
// marked as kafka-go's own words. Its report of a commit (consumergroup.go,
// Generation.CommitOffsets: "committed offsets for group ...", written once
// the broker answered) becomes the run's commit line and event, with cause
// why: kafka-go's log is how it says what it committed.
func (r *Run) KafkaGoLogger(why string) kafka.Logger {
	return kafka.LoggerFunc(func(format string, args ...any) {
		if strings.HasPrefix(format, "committed offsets for group ") && len(args) == 2 {
			if report, ok := args[1].(string); ok {
				r.Committed(why, kafkaGoCommitted(report, r.Cfg.Topic))
				return
			}
		}
		if strings.HasPrefix(format, "no messages received from kafka within the allocated time") {
			return // every idle fetch (MaxWait) says so
		}
		r.out.Printf("kafka-go: %s", oneLine(fmt.Sprintf(format, args...)))
	})
}

// KafkaGoErrorLogger prints kafka-go's errors as the run's lines.
func (r *Run) KafkaGoErrorLogger() kafka.Logger {
	return kafka.LoggerFunc(func(format string, args ...any) {
		r.out.Printf("kafka-go error: %s", oneLine(fmt.Sprintf(format, args...)))
	})
}

// kafkaGoCommitted reads kafka-go's commit report ("\ttopic: T" lines, each
// followed by "\t\tpartition N: O" lines) for topic's offsets.
func kafkaGoCommitted(report, topic string) map[int32]int64 {
	out := map[int32]int64{}
	in := false
	for _, line := range strings.Split(report, "\n") {
		line = strings.TrimSpace(line)
		if t, ok := strings.CutPrefix(line, "topic: "); ok {
			in = t == topic
			continue
		}
		var p int32
		var o int64
		if n, _ := fmt.Sscanf(line, "partition %d: %d", &p, &o); in && n == 2 {
			out[p] = o
		}
	}
	return out
}

func oneLine(s string) string {
	return strings.Join(strings.Fields(s), " ")
}
