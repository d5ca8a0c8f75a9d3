package main

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"offsetlab/internal/cluster"
	"offsetlab/internal/processedlog"
)

// countShare counts a share group's processed log: every delivery is a line,
// with the broker's delivery count and the consumer's answer. It prints one
// headline, then per partition what became of the records, the share group's
// state as the broker reports it, and what one committed offset would say.
func countShare(ctx context.Context, s settings, adm *cluster.Client) error {
	entries, err := readLog(s.log)
	if err != nil {
		return err
	}
	ranges, err := adm.Ranges(ctx, s.topic)
	if err != nil {
		return err
	}
	share, err := adm.ShareSettings(ctx, s.group)
	if err != nil {
		return err
	}
	g, err := adm.DescribeShareGroup(ctx, s.group, s.topic)
	if err != nil {
		return err
	}
	c := countDeliveries(entries, share.DeliveryLimit)
	var partitions []int32
	for p := range ranges {
		partitions = append(partitions, p)
	}
	slices.Sort(partitions)

	var lost, archived []string
	for _, p := range partitions {
		r := ranges[p]
		for o := r.Start; o < r.End; o++ {
			switch c.fate[key{p, o}] {
			case "archived":
				archived = append(archived, fmt.Sprintf("p%d@%d", p, o))
			case "accepted":
			default:
				lost = append(lost, fmt.Sprintf("p%d@%d", p, o))
			}
		}
	}
	fmt.Printf("share %s: deliveries=%d unique=%d redelivered=%d archived=%d lost=%d\n",
		s.group, c.deliveries, len(c.seen), c.deliveries-len(c.seen), len(archived), len(lost))
	if len(archived) > 0 {
		fmt.Printf("  archived (rejected, or released on delivery %d, the group's share.delivery.count.limit): %s\n", share.DeliveryLimit, strings.Join(archived, " "))
	}
	if len(lost) > 0 {
		fmt.Printf("  lost (in the topic, neither accepted nor archived in %s): %s\n", s.log, strings.Join(lost, " "))
	}
	fmt.Printf("  answers in %s: %s\n", s.log, c.answersLine())
	fmt.Printf("share group %s as the broker reports it (DescribeShareGroupOffsets): state %s, %d member(s)\n", s.group, g.State, len(g.Members))
	fmt.Println("  partition  start-offset  lag  log-end  a committed offset would say")
	for _, p := range partitions {
		r := ranges[p]
		start, lag := "-", "-"
		if o, ok := g.Start[p]; ok {
			start = fmt.Sprint(o)
		}
		if l, ok := g.Lag[p]; ok {
			lag = fmt.Sprint(l)
		}
		// A consumer group keeps one number per partition: everything
		// before it is done. Here: the first record not yet accepted or
		// archived, however many after it are.
		next := r.Start
		for next < r.End && c.fate[key{p, next}] != "" {
			next++
		}
		after := 0
		for o := next; o < r.End; o++ {
			if c.fate[key{p, o}] != "" {
				after++
			}
		}
		would := fmt.Sprint(next)
		if after > 0 {
			would += fmt.Sprintf(" (and %d done after it it could not record)", after)
		}
		fmt.Printf("  p%-8d %12s %4s %8d  %s\n", p, start, lag, r.End, would)
	}
	fmt.Println("  start-offset: every record before it is accepted or archived; what is after it is tracked per record, not by one number")
	return nil
}

type key struct {
	p int32
	o int64
}

// deliveries is what a share consumer's log says happened to each record.
type deliveries struct {
	deliveries int
	seen       map[key]bool
	// fate is "accepted", "archived" (rejected, or released on its last
	// allowed delivery) or "" (still to be handed out: released earlier,
	// or never answered).
	fate    map[key]string
	answers map[string]int
}

func countDeliveries(entries []processedlog.Entry, limit int) deliveries {
	c := deliveries{seen: map[key]bool{}, fate: map[key]string{}, answers: map[string]int{}}
	for _, e := range entries {
		k := key{e.Partition, e.Offset}
		c.deliveries++
		c.seen[k] = true
		c.answers[e.Ack]++
		switch {
		case e.Ack == "accept":
			c.fate[k] = "accepted"
		case c.fate[k] == "accepted":
			// An answer after an accept (a redelivery the accept did not
			// reach the broker in time for) changes nothing that was done.
		case e.Ack == "reject", e.Ack == "release" && int(e.Delivery) >= limit:
			c.fate[k] = "archived"
		}
	}
	return c
}

func (c deliveries) answersLine() string {
	var parts []string
	for _, a := range []string{"accept", "release", "reject"} {
		parts = append(parts, fmt.Sprintf("%s=%d", a, c.answers[a]))
	}
	if n := c.answers[""]; n > 0 {
		parts = append(parts, fmt.Sprintf("none=%d (lines without a share group's answer: not a share consumer's log?)", n))
	}
	return strings.Join(parts, " ")
}
