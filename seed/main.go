// seed loads the topic with SEED_MESSAGES coffee orders (default 30), spread
// evenly over the partitions, order i going to partition i mod N: with 30
// orders and 3 partitions every partition holds offsets 0-9, which keeps the
// lesson's numbers easy to follow.
package main

import (
	"context"
	"fmt"
	"os"
	"sort"
	"strings"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"offsetlab/internal/advice"
	"offsetlab/internal/cluster"
	"offsetlab/internal/config"
)

var drinks = []string{"espresso", "flat white", "cappuccino", "latte", "cortado", "americano", "mocha", "chai latte", "macchiato", "cold brew", "filter coffee"}

// order is the value of order i: what the kitchen has to make.
func order(i int) string {
	return fmt.Sprintf("%d x %s for table %d", 1+i%3, drinks[i%len(drinks)], 1+(i*7)%12)
}

func main() {
	s := config.New("seed", os.Getenv)
	conn := s.Connection(config.DefaultBrokers)
	topic := s.Topic(config.DefaultTopic)
	n := s.Int("SEED_MESSAGES", 30, 1, 1_000_000, "orders to produce")
	if err := s.Parse(os.Args[1:]); err != nil {
		os.Exit(config.Fail("seed", s, err))
	}
	if err := run(*conn, *topic, *n); err != nil {
		fmt.Fprintf(os.Stderr, "seed: error: %s\n", advice.Error(err))
		os.Exit(2)
	}
}

func run(conn config.Connection, topic string, n int) error {
	ctx := context.Background()
	adm, err := cluster.Dial(ctx, conn)
	if err != nil {
		return err
	}
	defer adm.Close()
	partitions, err := adm.Partitions(ctx, topic)
	if err != nil {
		return err
	}

	cl, err := kgo.NewClient(append(conn.Opts(),
		kgo.DefaultProduceTopic(topic),
		// We choose each record's partition ourselves (Record.Partition).
		kgo.RecordPartitioner(kgo.ManualPartitioner()),
		// Every in-sync replica must have the order before it counts as sent.
		kgo.RequiredAcks(kgo.AllISRAcks()),
	)...)
	if err != nil {
		return fmt.Errorf("producer: %w", err)
	}
	defer cl.Close()

	records := make([]*kgo.Record, n)
	for i := range records {
		records[i] = &kgo.Record{
			Key:       fmt.Appendf(nil, "order-%04d", i),
			Value:     []byte(order(i)),
			Partition: partitions[i%len(partitions)],
			// What happened to the order: with its key, what makes two
			// deliveries the same event (the idempotent consumer's key).
			Headers: []kgo.RecordHeader{{Key: "event-type", Value: []byte("order-placed")}},
		}
	}
	pctx, cancel := context.WithTimeout(ctx, cluster.ReachTimeout+30*time.Second)
	defer cancel()
	results := cl.ProduceSync(pctx, records...)
	if err := results.FirstErr(); err != nil {
		return fmt.Errorf("produce to %s: %w", topic, err)
	}

	type span struct{ count, first, last int64 }
	spans := map[int32]*span{}
	for _, r := range results {
		s := spans[r.Record.Partition]
		if s == nil {
			s = &span{first: r.Record.Offset, last: r.Record.Offset}
			spans[r.Record.Partition] = s
		}
		s.count++
		s.first, s.last = min(s.first, r.Record.Offset), max(s.last, r.Record.Offset)
	}
	ps := make([]int32, 0, len(spans))
	for p := range spans {
		ps = append(ps, p)
	}
	sort.Slice(ps, func(i, j int) bool { return ps[i] < ps[j] })
	parts := make([]string, len(ps))
	for i, p := range ps {
		parts[i] = fmt.Sprintf("p%d=%d (offsets %d-%d)", p, spans[p].count, spans[p].first, spans[p].last)
	}
	fmt.Printf("seeded %d orders into %s (acks=all): %s\n", n, topic, strings.Join(parts, " "))
	return nil
}
