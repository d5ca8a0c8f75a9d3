package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"slices"
	"time"

	"offsetlab/internal/cluster"
	"offsetlab/internal/processedlog"
	"offsetlab/internal/tally"
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
	orders, err := cluster.TopicKeys(rctx, s.brokers, s.topic, ranges)
	if err != nil {
		return err
	}
	committed, err := cluster.ReadKeys(rctx, s.brokers, s.output, true, time.Second)
	if err != nil {
		return err
	}
	all, err := cluster.ReadKeys(rctx, s.brokers, s.output, false, time.Second)
	if err != nil {
		return err
	}
	per := map[string]int{}
	for _, k := range committed {
		per[k.Key]++
	}
	dups, missing := 0, []string{}
	var twice []string
	for k, n := range per {
		if n > 1 {
			dups += n - 1
			twice = append(twice, fmt.Sprintf("%s ×%d", k, n))
		}
	}
	slices.Sort(twice)
	for _, o := range orders {
		if per[o.Key] == 0 && !slices.Contains(missing, o.Key) {
			missing = append(missing, o.Key)
		}
	}
	fmt.Printf("%s (read_committed): records=%d unique-orders=%d duplicates=%d missing=%d\n",
		s.output, len(committed), len(per), dups, len(missing))
	fmt.Printf("%s (read_uncommitted): records=%d, of them %d from transactions not committed (aborted, or still open)\n",
		s.output, len(all), len(all)-len(committed))

	entries, err := processedlog.ReadFile(s.log)
	switch {
	case errors.Is(err, os.ErrNotExist):
		fmt.Printf("%s: no such log (deliveries not counted)\n", s.log)
	case err != nil:
		return err
	default:
		fmt.Println(tally.Count(entries, ranges).Headline(s.log))
	}
	if len(twice) > 0 {
		fmt.Printf("  orders with more than one committed ticket: %s\n", list(twice))
	}
	if len(missing) > 0 {
		fmt.Printf("  orders in %s with no committed ticket: %s\n", s.topic, list(missing))
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
