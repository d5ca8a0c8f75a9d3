package cluster

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
)

// ResetForms lists what TO accepts, for help and errors.
const ResetForms = "earliest, latest, datetime:2026-05-01T00:00:00Z, shift:-10, shift:+10, offset:42"

// ResetSpec is a parsed TO: where to move a group's committed offsets,
// the way kafka-consumer-groups --reset-offsets names it.
type ResetSpec struct {
	Kind  string    // earliest, latest, datetime, shift, offset
	At    time.Time // datetime
	Shift int64     // shift
	Off   int64     // offset
}

func (s ResetSpec) String() string {
	switch s.Kind {
	case "datetime":
		return "datetime:" + s.At.UTC().Format(time.RFC3339Nano)
	case "shift":
		return fmt.Sprintf("shift:%+d", s.Shift)
	case "offset":
		return fmt.Sprintf("offset:%d", s.Off)
	}
	return s.Kind
}

// ParseResetSpec reads TO.
func ParseResetSpec(to string) (ResetSpec, error) {
	bad := func(why string) (ResetSpec, error) {
		return ResetSpec{}, fmt.Errorf("TO=%q %s; TO is one of: %s", to, why, ResetForms)
	}
	kind, arg, hasArg := strings.Cut(strings.TrimSpace(to), ":")
	switch kind {
	case "earliest", "latest":
		if hasArg {
			return bad("takes no value after the colon")
		}
		return ResetSpec{Kind: kind}, nil
	case "datetime":
		at, err := time.Parse(time.RFC3339Nano, arg)
		if err != nil {
			return bad("is not a date and time like 2026-05-01T00:00:00Z (RFC 3339, with a zone)")
		}
		return ResetSpec{Kind: kind, At: at}, nil
	case "shift":
		n, err := strconv.ParseInt(arg, 10, 64)
		if err != nil || n == 0 {
			return bad("needs a non-zero whole number of records, like shift:-10 (replay) or shift:+10 (skip)")
		}
		return ResetSpec{Kind: kind, Shift: n}, nil
	case "offset":
		n, err := strconv.ParseInt(arg, 10, 64)
		if err != nil || n < 0 {
			return bad("needs an offset of 0 or more, like offset:42")
		}
		return ResetSpec{Kind: kind, Off: n}, nil
	case "":
		return bad("is empty")
	}
	return bad("is not a form the reset knows")
}

// ResetRow is one partition of a reset plan.
type ResetRow struct {
	PartitionOffsets        // where the group is now
	Target           int64  // the offset asked for, before clamping
	New              int64  // what will be committed
	Clamped          string // why New differs from Target, if it does
}

// Change is how many records the reset replays (+) or skips (-).
func (r ResetRow) Change() int64 { return r.Resume() - r.New }

// Plan computes a reset of the given partitions; byTime holds the offsets
// found for a datetime spec.
func Plan(spec ResetSpec, partitions []PartitionOffsets, byTime map[int32]int64) []ResetRow {
	var rows []ResetRow
	for _, po := range partitions {
		row := ResetRow{PartitionOffsets: po}
		switch spec.Kind {
		case "earliest":
			row.Target = po.LogStart
		case "latest":
			row.Target = po.LogEnd
		case "datetime":
			row.Target = byTime[po.Partition]
		case "shift":
			row.Target = po.Resume() + spec.Shift
		case "offset":
			row.Target = spec.Off
		}
		row.New = row.Target
		switch {
		case row.Target < po.LogStart:
			row.New = po.LogStart
			row.Clamped = fmt.Sprintf("%d is before the log start: clamped to %d", row.Target, po.LogStart)
		case row.Target > po.LogEnd:
			row.New = po.LogEnd
			row.Clamped = fmt.Sprintf("%d is past the log end: clamped to %d", row.Target, po.LogEnd)
		}
		rows = append(rows, row)
	}
	sort.Slice(rows, func(i, j int) bool { return rows[i].Partition < rows[j].Partition })
	return rows
}

// PlanReset gathers what Plan needs from the broker. partition < 0 means all.
func (c *Client) PlanReset(ctx context.Context, group, topic string, partition int32, spec ResetSpec) (Group, []ResetRow, error) {
	g, err := c.DescribeGroup(ctx, group, topic)
	if err != nil {
		return g, nil, err
	}
	if g.TopicMissing {
		return g, nil, fmt.Errorf("%w: %s", ErrTopicMissing, topic)
	}
	var partitions []PartitionOffsets
	for _, po := range g.Partitions {
		if partition < 0 || po.Partition == partition {
			partitions = append(partitions, po)
		}
	}
	if len(partitions) == 0 {
		return g, nil, fmt.Errorf("topic %s has no partition %d (it has %d)", topic, partition, len(g.Partitions))
	}
	var byTime map[int32]int64
	if spec.Kind == "datetime" {
		byTime = map[int32]int64{}
		lctx, cancel := c.ctx(ctx)
		defer cancel()
		listed, err := c.ListOffsetsAfterMilli(lctx, spec.At.UnixMilli(), topic)
		if err != nil {
			return g, nil, fmt.Errorf("offsets of %s at %s: %w", topic, spec.At.Format(time.RFC3339), err)
		}
		var errs []error
		listed.Each(func(o kadm.ListedOffset) {
			if o.Err != nil {
				errs = append(errs, fmt.Errorf("offset of p%d at %s: %w", o.Partition, spec.At.Format(time.RFC3339), o.Err))
				return
			}
			byTime[o.Partition] = o.Offset
		})
		if err := errors.Join(errs...); err != nil {
			return g, nil, err
		}
	}
	return g, Plan(spec, partitions, byTime), nil
}

// ApplyReset commits the plan's offsets for the group. Kafka refuses while
// the group has members (each partition answers UNKNOWN_MEMBER_ID), so the
// caller checks that first; any partition error is returned here as well.
func (c *Client) ApplyReset(ctx context.Context, group, topic string, rows []ResetRow) error {
	// A fresh Offsets: Offsets.Add keeps the higher of two offsets, and a
	// reset backwards must be able to go lower.
	os := make(kadm.Offsets)
	for _, r := range rows {
		os.AddOffset(topic, r.Partition, r.New, -1)
	}
	var resp kadm.OffsetResponses
	err := retry(ctx, func() error {
		cctx, cancel := c.ctx(ctx)
		defer cancel()
		var err error
		if resp, err = c.CommitOffsets(cctx, group, os); err != nil {
			return err
		}
		return resp.Error()
	})
	if err != nil && resp == nil {
		return fmt.Errorf("commit the reset offsets of %s: %w", group, err)
	}
	var errs []error
	resp.Each(func(o kadm.OffsetResponse) {
		if o.Err != nil {
			if errors.Is(o.Err, kerr.UnknownMemberID) {
				errs = append(errs, fmt.Errorf("p%d: %w (Kafka refuses while the group has members)", o.Partition, o.Err))
			} else {
				errs = append(errs, fmt.Errorf("p%d: %w", o.Partition, o.Err))
			}
		}
	})
	return errors.Join(errs...)
}
