package main

import (
	"context"
	"fmt"
	"time"

	"offsetlab/internal/cluster"
)

// countOutput prints what a read_committed reader of OUTPUT_TOPIC sees
// against TOPIC's orders, then what a read_uncommitted reader sees (the
// tickets of aborted transactions too), then the processed log's line: the
// transactional consumer's deliveries repeat, committed tickets do not.
func countOutput(ctx context.Context, s settings, adm *cluster.Client) error {
	ranges, err := adm.Ranges(ctx, s.topic)
	if err != nil {
		return err
	}
	if _, err := adm.Partitions(ctx, s.output); err != nil {
		return err
	}
	rctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	orders, err := cluster.TopicKeys(rctx, s.conn, s.topic, ranges)
	if err != nil {
		return err
	}
	committed, err := cluster.ReadKeys(rctx, s.conn, s.output, true)
	if err != nil {
		return err
	}
	all, err := cluster.ReadKeys(rctx, s.conn, s.output, false)
	if err != nil {
		return err
	}
	keys := make([]string, 0, len(committed))
	for _, k := range committed {
		keys = append(keys, k.Key)
	}
	c := countKeys(keys, orders)
	fmt.Printf("%s (read_committed): records=%d unique-orders=%d duplicates=%d missing=%d\n",
		s.output, c.tickets, c.unique, c.duplicates, len(c.missing))
	fmt.Printf("%s (read_uncommitted): records=%d, of them %d from transactions not committed (aborted, or still open)\n",
		s.output, len(all), len(all)-len(committed))
	if err := printLogHeadline(s.log, ranges); err != nil {
		return err
	}
	if len(c.twice) > 0 {
		fmt.Printf("  orders with more than one committed ticket: %s\n", list(c.twice))
	}
	if len(c.missing) > 0 {
		fmt.Printf("  orders in %s with no committed ticket: %s\n", s.topic, list(c.missing))
	}
	// An open transaction (a killed producer's, not yet aborted) holds
	// read_committed readers at its first offset: say so, it explains missing.
	stable, err1 := adm.ListCommittedOffsets(ctx, s.output)
	end, err2 := adm.ListEndOffsets(ctx, s.output)
	if err1 == nil && err2 == nil {
		for _, o := range stable.Offsets().Sorted() {
			if e, ok := end.Lookup(o.Topic, o.Partition); ok && o.At < e.Offset {
				fmt.Printf("  p%d: an open transaction holds read_committed readers at offset %d of %d (the next run of the same INSTANCE aborts it; else the broker does after the consumer's TRANSACTION_TIMEOUT, 40s by default)\n",
					o.Partition, o.At, e.Offset)
			}
		}
	}
	return nil
}
