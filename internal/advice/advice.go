// Package advice is what the lab's commands add to an error: what a learner
// can type to get past it. The packages below state the fact and wrap the
// cause (as kadm's errors do); which make target helps is the commands'
// business, and it is said here once for all of them.
package advice

import (
	"errors"

	"offsetlab/internal/cluster"
	"offsetlab/internal/faults"
	"offsetlab/internal/tickets"
)

// For is the advice for err, or "".
func For(err error) string {
	switch {
	case errors.Is(err, cluster.ErrNoBroker):
		return "start one with `make broker-up` (embedded) or `make jvm-kafka-up` (Apache Kafka), or set BROKERS"
	case errors.Is(err, cluster.ErrTopicMissing):
		return "create it with `make topic-create`"
	case errors.Is(err, faults.ErrNoBroker):
		return "start one with `make broker-up`"
	case errors.Is(err, tickets.ErrNoDatabase):
		return "is PostgreSQL running? `make postgres-up` starts one and prints its DATABASE_URL"
	}
	return ""
}

// Error is err's text followed by its advice, if any.
func Error(err error) string {
	if a := For(err); a != "" {
		return err.Error() + "; " + a
	}
	return err.Error()
}
