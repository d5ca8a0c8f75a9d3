package cluster

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"offsetlab/internal/config"
	"offsetlab/internal/tally"
)

// Keyed is where one record sits in a topic, and its key.
type Keyed struct {
	Partition int32
	Offset    int64
	Key       string
}

// TopicKeys reads every record of topic that is in it now (from each
// partition's log start to its log end, as ranges says) and returns their
// keys in partition and offset order. It reads without a group, so it moves
// no group's offsets.
func TopicKeys(ctx context.Context, conn config.Connection, topic string, ranges map[int32]tally.Range) ([]Keyed, error) {
	want := map[int32]kgo.Offset{}
	left := 0
	for p, r := range ranges {
		if r.End > r.Start {
			want[p] = kgo.NewOffset().At(r.Start)
			left += int(r.End - r.Start)
		}
	}
	if left == 0 {
		return nil, nil
	}
	cl, err := kgo.NewClient(append(conn.Opts(),
		kgo.ConsumePartitions(map[string]map[int32]kgo.Offset{topic: want}),
		kgo.DialTimeout(2*time.Second),
	)...)
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", topic, err)
	}
	defer cl.Close()
	var out []Keyed
	for left > 0 {
		fetches := cl.PollFetches(ctx)
		if err := ctx.Err(); err != nil {
			return nil, fmt.Errorf("reading %s: %d records still to read: %w", topic, left, err)
		}
		var ferr error
		fetches.EachError(func(_ string, p int32, err error) {
			ferr = fmt.Errorf("reading %s p%d: %w", topic, p, err)
		})
		if ferr != nil {
			return nil, ferr
		}
		fetches.EachRecord(func(r *kgo.Record) {
			if r.Offset < ranges[r.Partition].End {
				out = append(out, Keyed{Partition: r.Partition, Offset: r.Offset, Key: string(r.Key)})
				left--
			}
		})
	}
	return out, nil
}

// ReadKeys reads every record of topic a reader with the given isolation sees
// now (read_committed: only committed transactions, and nothing past an open
// one), until no record came for idle. It reads without a group.
func ReadKeys(ctx context.Context, conn config.Connection, topic string, readCommitted bool, idle time.Duration) ([]Keyed, error) {
	rs, err := ReadRecords(ctx, conn, topic, readCommitted, idle)
	if err != nil {
		return nil, err
	}
	out := make([]Keyed, len(rs))
	for i, r := range rs {
		out[i] = Keyed{Partition: r.Partition, Offset: r.Offset, Key: string(r.Key)}
	}
	return out, nil
}

// ReadRecords is ReadKeys with the whole records.
func ReadRecords(ctx context.Context, conn config.Connection, topic string, readCommitted bool, idle time.Duration) ([]*kgo.Record, error) {
	iso := kgo.ReadUncommitted()
	if readCommitted {
		iso = kgo.ReadCommitted()
	}
	cl, err := kgo.NewClient(append(conn.Opts(),
		kgo.ConsumeTopics(topic),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()),
		kgo.FetchIsolationLevel(iso),
		kgo.FetchMaxWait(idle/2),
		kgo.DialTimeout(2*time.Second),
	)...)
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", topic, err)
	}
	defer cl.Close()
	var out []*kgo.Record
	for {
		pctx, cancel := context.WithTimeout(ctx, idle)
		fetches := cl.PollFetches(pctx)
		cancel()
		if err := ctx.Err(); err != nil {
			return nil, fmt.Errorf("reading %s: %w", topic, err)
		}
		var ferr error
		fetches.EachError(func(_ string, p int32, err error) {
			if !errors.Is(err, context.DeadlineExceeded) {
				ferr = fmt.Errorf("reading %s p%d: %w", topic, p, err)
			}
		})
		if ferr != nil {
			return nil, ferr
		}
		if fetches.NumRecords() == 0 {
			return out, nil
		}
		out = append(out, fetches.Records()...)
	}
}
