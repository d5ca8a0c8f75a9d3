package cluster

import (
	"context"
	"fmt"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
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
// now: up to each partition's end as the broker gives it when the read
// begins (read_committed: its last stable offset, so only committed
// transactions, and nothing past an open one). It reads without a group.
func ReadKeys(ctx context.Context, conn config.Connection, topic string, readCommitted bool) ([]Keyed, error) {
	rs, err := ReadRecords(ctx, conn, topic, readCommitted)
	if err != nil {
		return nil, err
	}
	out := make([]Keyed, len(rs))
	for i, r := range rs {
		out[i] = Keyed{Partition: r.Partition, Offset: r.Offset, Key: string(r.Key)}
	}
	return out, nil
}

// ReadRecords is ReadKeys with the whole records. It stops at the ends it
// asked for, never on a pause in what arrives: what others write meanwhile
// (every group's commits, on __consumer_offsets) cannot keep it reading, and
// a slow broker cannot make it stop short.
func ReadRecords(ctx context.Context, conn config.Connection, topic string, readCommitted bool) ([]*kgo.Record, error) {
	iso := kgo.ReadUncommitted()
	if readCommitted {
		iso = kgo.ReadCommitted()
	}
	cl, err := kgo.NewClient(append(conn.Opts(),
		kgo.FetchIsolationLevel(iso),
		// Commit and abort markers take offsets too: kept, so that the
		// read sees every offset up to the end, they are dropped below.
		kgo.KeepControlRecords(),
		kgo.DialTimeout(2*time.Second),
	)...)
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", topic, err)
	}
	defer cl.Close()
	adm := kadm.NewClient(cl)
	starts, err := adm.ListStartOffsets(ctx, topic)
	if err == nil {
		err = starts.Error()
	}
	if err != nil {
		return nil, fmt.Errorf("reading %s: its start offsets: %w", topic, err)
	}
	list := adm.ListEndOffsets
	if readCommitted {
		list = adm.ListCommittedOffsets // the last stable offsets
	}
	ends, err := list(ctx, topic)
	if err == nil {
		err = ends.Error()
	}
	if err != nil {
		return nil, fmt.Errorf("reading %s: its end offsets: %w", topic, err)
	}
	from, end := map[int32]kgo.Offset{}, map[int32]int64{}
	ends.Each(func(o kadm.ListedOffset) {
		if s, ok := starts.Lookup(topic, o.Partition); ok && o.Offset > s.Offset {
			from[o.Partition], end[o.Partition] = kgo.NewOffset().At(s.Offset), o.Offset
		}
	})
	if len(from) == 0 {
		return nil, nil
	}
	cl.AddConsumePartitions(map[string]map[int32]kgo.Offset{topic: from})
	var out []*kgo.Record
	for len(end) > 0 {
		fetches := cl.PollFetches(ctx)
		if err := ctx.Err(); err != nil {
			return nil, fmt.Errorf("reading %s: %d partitions not read to their end: %w", topic, len(end), err)
		}
		var ferr error
		fetches.EachError(func(_ string, p int32, err error) {
			ferr = fmt.Errorf("reading %s p%d: %w", topic, p, err)
		})
		if ferr != nil {
			return nil, ferr
		}
		fetches.EachRecord(func(r *kgo.Record) {
			e, reading := end[r.Partition]
			if !reading || r.Offset >= e {
				return
			}
			if !r.Attrs.IsControl() {
				out = append(out, r)
			}
			if r.Offset+1 >= e {
				delete(end, r.Partition)
			}
		})
	}
	return out, nil
}
