package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"
	"time"

	"offsetlab/internal/cluster"
	"offsetlab/internal/processedlog"
	"offsetlab/internal/tally"
	"offsetlab/internal/tickets"
)

// countEffects prints the effects' headline (tickets in the database against
// the orders in the topic), then the processed log's, so that repeated
// deliveries and repeated effects stand one above the other.
func countEffects(ctx context.Context, s settings, adm *cluster.Client) error {
	kitchen, err := tickets.Open(ctx, s.database)
	if err != nil {
		return err
	}
	defer kitchen.Close()
	made, err := kitchen.Tickets(ctx, s.group, s.topic)
	if err != nil {
		return err
	}
	ranges, err := adm.Ranges(ctx, s.topic)
	if err != nil {
		return err
	}
	rctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	orders, err := cluster.TopicKeys(rctx, s.conn, s.topic, ranges)
	if err != nil {
		return err
	}
	e := countTickets(made, orders)
	fmt.Printf("tickets (%s): effects=%d unique-orders=%d duplicate-effects=%d missing=%d\n",
		e.label(s.group), e.tickets, e.unique, e.duplicates, len(e.missing))
	if err := printLogHeadline(s.log, ranges); err != nil {
		return err
	}
	if len(e.twice) > 0 {
		fmt.Printf("  orders with more than one ticket: %s\n", list(e.twice))
	}
	if len(e.missing) > 0 {
		fmt.Printf("  orders in %s with no ticket: %s\n", s.topic, list(e.missing))
	}
	return nil
}

// printLogHeadline prints the processed log's count under a tickets line:
// deliveries and their repeats, next to the effects.
func printLogHeadline(log string, ranges map[int32]tally.Range) error {
	entries, err := processedlog.ReadFile(log)
	switch {
	case errors.Is(err, os.ErrNotExist):
		fmt.Printf("%s: no such log (deliveries not counted)\n", log)
	case err != nil:
		return err
	default:
		fmt.Println(tally.Count(entries, ranges).Headline(log))
	}
	return nil
}

// keyCount is how tickets, one order key each, stand against the orders in
// the topic.
type keyCount struct {
	tickets    int
	unique     int      // orders with a ticket
	duplicates int      // tickets beyond the first per order
	twice      []string // orders with more than one ticket
	missing    []string // orders in the topic without a ticket
}

func countKeys(keys []string, orders []cluster.Keyed) keyCount {
	c := keyCount{tickets: len(keys)}
	per := map[string]int{}
	for _, k := range keys {
		per[k]++
	}
	c.unique = len(per)
	for k, n := range per {
		if n > 1 {
			c.duplicates += n - 1
			c.twice = append(c.twice, fmt.Sprintf("%s ×%d", k, n))
		}
	}
	slices.Sort(c.twice)
	for _, o := range orders {
		if per[o.Key] == 0 && !slices.Contains(c.missing, o.Key) {
			c.missing = append(c.missing, o.Key)
		}
	}
	return c
}

// effectCount is the database's tickets counted, and which strategies made them.
type effectCount struct {
	keyCount
	strategies []string
}

func (e effectCount) label(group string) string {
	if len(e.strategies) == 0 {
		return group
	}
	return strings.Join(e.strategies, ", ")
}

func countTickets(made []tickets.Ticket, orders []cluster.Keyed) effectCount {
	var e effectCount
	keys := make([]string, 0, len(made))
	for _, t := range made {
		keys = append(keys, t.OrderKey)
		if !slices.Contains(e.strategies, t.Strategy) {
			e.strategies = append(e.strategies, t.Strategy)
		}
	}
	e.keyCount = countKeys(keys, orders)
	return e
}

// list is the first ten of items, and how many more.
func list(items []string) string {
	if len(items) <= 10 {
		return strings.Join(items, ", ")
	}
	return fmt.Sprintf("%s and %d more", strings.Join(items[:10], ", "), len(items)-10)
}

// ticketsClear forgets what GROUP did on TOPIC in the database: its tickets,
// idempotency keys and stored offsets, so that its next run prepares every
// order again (group-delete does the same for Kafka's committed offsets).
func ticketsClear(ctx context.Context, s settings, _ *cluster.Client) error {
	kitchen, err := tickets.Open(ctx, s.database)
	if err != nil {
		return err
	}
	defer kitchen.Close()
	for _, g := range strings.Split(s.group, ",") {
		n, err := kitchen.Clear(ctx, g, s.topic)
		if err != nil {
			return err
		}
		fmt.Printf("cleared group %s on %s in %s: %d tickets, its idempotency keys and stored offsets\n", g, s.topic, kitchen.Where(), n)
	}
	return nil
}
