package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"

	"offsetlab/internal/cluster"
	"offsetlab/internal/instance"
)

func splitGroups(v string) []string {
	var out []string
	for _, g := range strings.Split(v, ",") {
		if g = strings.TrimSpace(g); g != "" {
			out = append(out, g)
		}
	}
	return out
}

func oneGroup(s settings) (string, error) {
	gs := splitGroups(s.group)
	if len(gs) != 1 {
		return "", fmt.Errorf("GROUP=%q: this command takes one group", s.group)
	}
	return gs[0], nil
}

func groupDescribe(ctx context.Context, s settings, adm *cluster.Client) error {
	for _, group := range splitGroups(s.group) {
		if sg, err := adm.DescribeShareGroup(ctx, group, s.topic); err == nil && sg.State != "Dead" {
			printShareGroup(group, s.topic, sg)
			continue
		}
		g, err := adm.DescribeGroup(ctx, group, s.topic)
		if err != nil {
			return err
		}
		printGroup(os.Stdout, g, s.topic, nil)
	}
	return nil
}

// printShareGroup is group-describe's output for a share group: no committed
// offsets, the broker's start offset and lag per partition, and the members,
// several of which may share a partition.
func printShareGroup(name, topic string, g cluster.ShareGroup) {
	fmt.Printf("share group %s on %s: state %s, group epoch %d, %d member(s); nothing is committed, each record is answered (make count-share)\n",
		name, topic, g.State, g.Epoch, len(g.Members))
	var ps []int32
	for p := range g.Start {
		ps = append(ps, p)
	}
	slices.Sort(ps)
	fmt.Println("  partition start-offset  lag")
	for _, p := range ps {
		lag := "-"
		if l, ok := g.Lag[p]; ok {
			lag = fmt.Sprint(l)
		}
		fmt.Printf("  p%-8d %12d %4s\n", p, g.Start[p], lag)
	}
	for _, m := range g.Members {
		fmt.Printf("  member %s (epoch %d): %s\n", m.ClientID, m.Epoch, cluster.PartitionNames(m.Assigned))
	}
}

// printGroup is group-describe's output; group-watch adds each partition's
// lag history (trend) as a last column.
func printGroup(w io.Writer, g cluster.Group, topic string, trend map[int32][]int64) {
	state := g.State
	if state == "Dead" {
		state = "Dead (unknown to the broker: never joined, or deleted)"
	}
	// Which group protocol, and who assigns the partitions under it.
	protocol := "-"
	switch {
	case g.State == "Dead":
	case g.Type == "consumer":
		protocol = fmt.Sprintf("consumer (KIP-848: the broker assigns, assignor %s, group epoch %d)", orDash(g.Protocol), g.Epoch)
	case g.Protocol != "":
		protocol = fmt.Sprintf("classic (the members assign: %s)", g.Protocol)
	default:
		protocol = "classic"
	}
	fmt.Fprintf(w, "group %s on %s: state %s, protocol %s, %d member(s)\n", g.Name, topic, state, protocol, len(g.Members))
	if g.TopicMissing {
		fmt.Fprintf(w, "  topic %s does not exist (create it with `make topic-create`)\n", topic)
	}
	header := fmt.Sprintf("  %-9s %9s %9s %9s %6s", "partition", "committed", "log-start", "log-end", "lag")
	if trend != nil {
		header += "  trend (oldest → newest)"
	}
	fmt.Fprintln(w, header)
	var total int64
	for _, p := range g.Partitions {
		committed := "-"
		if p.Committed >= 0 {
			committed = fmt.Sprint(p.Committed)
		}
		total += p.Lag()
		line := fmt.Sprintf("  %-9s %9s %9d %9d %6d", fmt.Sprintf("p%d", p.Partition), committed, p.LogStart, p.LogEnd, p.Lag())
		if trend != nil {
			line += "  " + describeTrend(trend[p.Partition])
		}
		fmt.Fprintln(w, line)
	}
	fmt.Fprintf(w, "  total lag %d (lag = log-end - committed; with nothing committed the group starts at log-start)\n", total)
	for _, m := range g.Members {
		epoch := ""
		if g.Type == "consumer" {
			// The member's epoch: the version of the assignment it holds;
			// a commit from an older one is refused (STALE_MEMBER_EPOCH).
			epoch = fmt.Sprintf(", epoch %d", m.Epoch)
		}
		fmt.Fprintf(w, "  member %s (client %s, host %s%s): %s\n", m.Name(), m.ClientID, m.Host, epoch, cluster.PartitionNames(m.Assigned))
	}
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// describeTrend is "10 → 8 → 5 falling".
func describeTrend(lags []int64) string {
	if len(lags) == 0 {
		return ""
	}
	s := make([]string, len(lags))
	for i, l := range lags {
		s[i] = fmt.Sprint(l)
	}
	word := "steady"
	switch first, last := lags[0], lags[len(lags)-1]; {
	case len(lags) == 1:
		word = "(first sample)"
	case last < first:
		word = "falling: the group is catching up"
	case last > first:
		word = "rising: the group falls behind"
	}
	return strings.Join(s, " → ") + "  " + word
}

// groupWatch prints the group every INTERVAL with each partition's lag over
// the last few samples, until Ctrl+C; ONCE=1 prints one sample.
func groupWatch(ctx context.Context, s settings, adm *cluster.Client) error {
	group, err := oneGroup(s)
	if err != nil {
		return err
	}
	const keep = 5
	history := map[int32][]int64{}
	fi, _ := os.Stdout.Stat()
	tty := fi != nil && fi.Mode()&os.ModeCharDevice != 0
	tick := time.NewTicker(s.interval)
	defer tick.Stop()
	for {
		g, err := adm.DescribeGroup(ctx, group, s.topic)
		if ctx.Err() != nil {
			fmt.Println("stopped")
			return nil
		}
		if err != nil {
			return err
		}
		for _, p := range g.Partitions {
			h := append(history[p.Partition], p.Lag())
			if len(h) > keep {
				h = h[len(h)-keep:]
			}
			history[p.Partition] = h
		}
		if tty && !s.once {
			fmt.Print("\033[H\033[2J") // redraw in place
		}
		note := fmt.Sprintf("every %s, Ctrl+C stops", s.interval)
		if s.once {
			note = "one sample"
		}
		fmt.Printf("%s  (%s)\n", time.Now().Format("15:04:05"), note)
		printGroup(os.Stdout, g, s.topic, history)
		if s.once {
			return nil
		}
		fmt.Println()
		select {
		case <-ctx.Done():
			fmt.Println("stopped")
			return nil
		case <-tick.C:
		}
	}
}

// groups lists every group with its state, members and total lag.
func groups(ctx context.Context, s settings, adm *cluster.Client) error {
	lctx, cancel := context.WithTimeout(ctx, cluster.CoordinatorWait)
	defer cancel()
	listed, err := adm.ListGroups(lctx)
	if err != nil {
		return fmt.Errorf("list groups: %w", err)
	}
	names := listed.Groups()
	sort.Strings(names)
	if len(names) == 0 {
		fmt.Println("no groups")
		return nil
	}
	lags, err := adm.Lags(lctx, slices.Clone(names)...) // kadm reorders the slice it is given
	if err != nil {
		return fmt.Errorf("lag of the groups: %w", err)
	}
	// The group protocol of each: KIP-848 groups are listed by type
	// "consumer" (ListGroups v5); the others are classic.
	protocolOf := func(string) string { return "?" }
	if kip848, err := adm.ListGroupsByType(lctx, []string{"consumer"}); err == nil {
		protocolOf = func(g string) string {
			if _, ok := kip848[g]; ok {
				return "consumer"
			}
			return "classic"
		}
	}
	fmt.Printf("%-30s %-20s %-9s %8s %10s  %s\n", "group", "state", "protocol", "members", "total lag", "topics")
	for _, name := range names {
		if state, members, lag, topics, ok := adm.ShareGroupSummary(lctx, name); ok {
			// A share group (KIP-932): its lag is the broker's count of
			// records not yet accepted or archived.
			fmt.Printf("%-30s %-20s %-9s %8d %10d  %s\n", name, state, "share", members, lag, strings.Join(topics, ","))
			continue
		}
		if state, members, lag, topics, ok := adm.KIP848Group(lctx, name); ok {
			fmt.Printf("%-30s %-20s %-9s %8d %10d  %s\n", name, state, "consumer", members, lag, strings.Join(topics, ","))
			continue
		}
		l := lags[name]
		if err := l.Error(); err != nil {
			fmt.Printf("%-30s %-20s %-9s %8s %10s  %v\n", name, "?", protocolOf(name), "?", "?", err)
			continue
		}
		ts := make([]string, 0, len(l.Lag))
		for t := range l.Lag {
			ts = append(ts, t)
		}
		sort.Strings(ts)
		fmt.Printf("%-30s %-20s %-9s %8d %10d  %s\n", name, l.State, protocolOf(name), len(l.Members), l.Lag.Total(), strings.Join(ts, ","))
	}
	return nil
}

// activeRefusal is what every group change says while members remain.
func activeRefusal(g cluster.Group, what string) error {
	var names, hints []string
	for _, m := range g.Members {
		names = append(names, m.Name())
		if h := removeHint(g.Name, m); h != "" {
			hints = append(hints, h)
		}
	}
	msg := fmt.Sprintf("group %s has %d member(s): %s. Kafka refuses to %s a group with members: stop its consumers first. "+
		"A member whose process crashed stays until its session times out, at most 45 s after it died (kgo's default session timeout, which the lab's consumers use)",
		g.Name, len(g.Members), strings.Join(names, ", "), what)
	if len(hints) > 0 {
		msg += "; to remove one now: " + strings.Join(hints, "; ")
	}
	return errors.New(msg)
}

// removeHint is the make command that removes a static member.
func removeHint(group string, m cluster.Member) string {
	n, ok := strings.CutPrefix(m.InstanceID, group+"-")
	if !ok {
		return ""
	}
	for _, short := range []string{"auto", "sync", "async"} {
		if group == "kitchen-"+short {
			return fmt.Sprintf("`make group-remove-member-%s INSTANCE=%s`", short, n)
		}
	}
	return fmt.Sprintf("`make group-remove-member GROUP=%s INSTANCE=%s`", group, n)
}

// groupRemoveMember removes the static member GROUP-INSTANCE, the way Kafka's
// admin API allows (KIP-345: LeaveGroup by instance id).
func groupRemoveMember(ctx context.Context, s settings, adm *cluster.Client) error {
	group, err := oneGroup(s)
	if err != nil {
		return err
	}
	id := instance.ID(group, s.instance)
	g, err := adm.DescribeGroup(ctx, group, s.topic)
	if err != nil {
		return err
	}
	found := false
	var others []string
	for _, m := range g.Members {
		if m.InstanceID == id {
			found = true
		} else {
			others = append(others, m.Name())
		}
	}
	if !found {
		if len(others) == 0 {
			others = []string{"none"}
		}
		return fmt.Errorf("group %s has no member %s (members: %s)", group, id, strings.Join(others, ", "))
	}
	if err := adm.RemoveStaticMember(ctx, group, id); err != nil {
		return err
	}
	fmt.Printf("removed member %s from group %s; if its process is still running it is fenced and exits\n", id, group)
	return nil
}

func groupDelete(ctx context.Context, s settings, adm *cluster.Client) error {
	var errs []error
	for _, group := range splitGroups(s.group) {
		err := adm.ForgetGroup(ctx, group)
		switch {
		case err == nil:
			fmt.Printf("deleted group %s: its committed offsets are gone, the next run starts from the earliest offset\n", group)
		case errors.Is(err, kerr.GroupIDNotFound):
			fmt.Printf("group %s does not exist: nothing to delete\n", group)
		case errors.Is(err, kerr.NonEmptyGroup):
			g, derr := adm.DescribeGroup(ctx, group, s.topic)
			if derr != nil {
				errs = append(errs, fmt.Errorf("group %s still has members: stop its consumers first", group))
				continue
			}
			errs = append(errs, activeRefusal(g, "delete"))
		default:
			errs = append(errs, fmt.Errorf("delete group %s: %w", group, err))
		}
	}
	return errors.Join(errs...)
}

// groupReset moves a group's committed offsets, as
// kafka-consumer-groups --reset-offsets does: a dry run unless EXECUTE=1,
// refused while the group has members, clamped to each partition's log.
func groupReset(ctx context.Context, s settings, adm *cluster.Client) error {
	if !s.toGiven {
		return fmt.Errorf("say where to: TO is one of %s (e.g. `make group-reset-auto TO=earliest`)", cluster.ResetForms)
	}
	group, err := oneGroup(s)
	if err != nil {
		return err
	}
	g, rows, err := adm.PlanReset(ctx, group, s.topic, int32(s.partition), s.to)
	if err != nil {
		return err
	}
	if len(g.Members) > 0 {
		return activeRefusal(g, "reset the offsets of")
	}
	mode := "DRY RUN: nothing changes; EXECUTE=1 applies it"
	if s.execute {
		mode = "EXECUTE=1: applying"
	}
	fmt.Printf("reset group %s on %s to %s (%s)\n", group, s.topic, s.to, mode)
	fmt.Printf("  %-9s %9s %9s %9s %9s  %s\n", "partition", "committed", "new", "log-start", "log-end", "change")
	var replay, skip int64
	var notes []string
	for _, r := range rows {
		committed := "-"
		if r.Committed >= 0 {
			committed = fmt.Sprint(r.Committed)
		}
		change := "0"
		switch c := r.Change(); {
		case c > 0:
			change, replay = fmt.Sprintf("+%d replayed", c), replay+c
		case c < 0:
			change, skip = fmt.Sprintf("%d skipped", c), skip-c
		}
		fmt.Printf("  %-9s %9s %9d %9d %9d  %s\n", fmt.Sprintf("p%d", r.Partition), committed, r.New, r.LogStart, r.LogEnd, change)
		if r.Clamped != "" {
			notes = append(notes, fmt.Sprintf("  p%d: %s", r.Partition, r.Clamped))
		}
	}
	for _, n := range notes {
		fmt.Println(n)
	}
	fmt.Printf("  in all: %d replayed, %d skipped (- committed: the group would start at log-start)\n", replay, skip)
	if !s.execute {
		return nil
	}
	if err := adm.ApplyReset(ctx, group, s.topic, rows); err != nil {
		return err
	}
	now, err := adm.Committed(ctx, group, s.topic)
	if err != nil {
		return err
	}
	var got []string
	for _, r := range rows {
		got = append(got, fmt.Sprintf("p%d→%d", r.Partition, now[r.Partition]))
	}
	fmt.Printf("applied: group %s now has committed %s; its next run starts there\n", group, strings.Join(got, " "))
	return nil
}
