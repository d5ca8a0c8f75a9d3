// admin is the lab's kafka-topics / kafka-consumer-groups, built on franz-go's
// kadm so that no Kafka scripts are needed:
//
//	admin ping                     is a broker answering on BROKERS?
//	admin topic-create             TOPIC with PARTITIONS partitions
//	admin topic-delete             TOPIC (waits until it is gone)
//	admin group-describe           GROUP: state, members, committed / log end / lag per partition
//	admin group-delete             GROUP (comma-separated for several): forget its committed offsets
//	admin count                    LOG: total, unique offsets, duplicates and lost against TOPIC
//
// Settings are flags or environment variables, as for the consumers.
package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"

	"offsetlab/internal/admin"
	"offsetlab/internal/config"
	"offsetlab/internal/processedlog"
	"offsetlab/internal/tally"
)

const usage = `usage: admin COMMAND [flags]
commands: ping, topic-create, topic-delete, group-describe, group-delete, count`

type settings struct {
	brokers    []string
	topic      string
	group      string
	partitions int
	log        string
}

func main() {
	if len(os.Args) < 2 || strings.HasPrefix(os.Args[1], "-") {
		fmt.Fprintln(os.Stderr, usage)
		os.Exit(2)
	}
	cmd := os.Args[1]
	s := config.New("admin "+cmd, os.Getenv)
	brokers := s.Brokers(config.DefaultBrokers)
	topic := s.Topic(config.DefaultTopic)
	group := s.String("GROUP", "kitchen-auto", "consumer group(s), comma-separated where several make sense")
	partitions := s.Int("PARTITIONS", 3, 1, 1000, "partitions for topic-create")
	log := s.String("LOG", "processed-auto.log", "processed log to count")
	if err := s.Parse(os.Args[2:]); err != nil {
		config.Fail("admin "+cmd, s, err)
	}
	st := settings{*brokers, *topic, *group, *partitions, *log}

	commands := map[string]func(context.Context, settings) error{
		"ping":           ping,
		"topic-create":   topicCreate,
		"topic-delete":   topicDelete,
		"group-describe": groupDescribe,
		"group-delete":   groupDelete,
		"count":          count,
	}
	run, ok := commands[cmd]
	if !ok {
		fmt.Fprintf(os.Stderr, "admin: unknown command %q\n%s\n", cmd, usage)
		os.Exit(2)
	}
	if err := run(context.Background(), st); err != nil {
		fmt.Fprintf(os.Stderr, "admin %s: error: %v\n", cmd, err)
		os.Exit(2)
	}
}

func ping(ctx context.Context, s settings) error {
	adm, err := admin.Dial(ctx, s.brokers)
	if err != nil {
		return err
	}
	adm.Close()
	fmt.Printf("a broker answers at %s\n", strings.Join(s.brokers, ","))
	return nil
}

func topicCreate(ctx context.Context, s settings) error {
	adm, err := admin.Dial(ctx, s.brokers)
	if err != nil {
		return err
	}
	defer adm.Close()
	if ps, err := adm.Partitions(ctx, s.topic); err == nil {
		fmt.Printf("topic %s already exists with %d partitions\n", s.topic, len(ps))
		return nil
	} else if !errors.Is(err, admin.ErrTopicMissing) {
		return err
	}
	cctx, cancel := context.WithTimeout(ctx, admin.ReachTimeout)
	defer cancel()
	// Replication factor -1: the broker's default (1 on the lab's one-broker setups).
	resp, err := adm.CreateTopic(cctx, int32(s.partitions), -1, nil, s.topic)
	if err == nil {
		err = resp.Err
	}
	if err != nil {
		return fmt.Errorf("create topic %s: %w", s.topic, err)
	}
	fmt.Printf("created topic %s with %d partitions\n", s.topic, s.partitions)
	return nil
}

func topicDelete(ctx context.Context, s settings) error {
	adm, err := admin.Dial(ctx, s.brokers)
	if err != nil {
		return err
	}
	defer adm.Close()
	if _, err := adm.Partitions(ctx, s.topic); errors.Is(err, admin.ErrTopicMissing) {
		fmt.Printf("topic %s does not exist: nothing to delete\n", s.topic)
		return nil
	} else if err != nil {
		return err
	}
	dctx, cancel := context.WithTimeout(ctx, admin.ReachTimeout)
	defer cancel()
	resp, err := adm.DeleteTopic(dctx, s.topic)
	if err == nil {
		err = resp.Err
	}
	if err != nil && !errors.Is(err, kerr.UnknownTopicOrPartition) {
		return fmt.Errorf("delete topic %s: %w", s.topic, err)
	}
	// A broker may delete a topic in the background (real Kafka does): wait
	// until it is really gone, so that a topic-create right after works.
	deadline := time.Now().Add(30 * time.Second)
	for {
		if _, err := adm.Partitions(ctx, s.topic); errors.Is(err, admin.ErrTopicMissing) {
			break
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("topic %s still listed 30s after its deletion", s.topic)
		}
		time.Sleep(200 * time.Millisecond)
	}
	fmt.Printf("deleted topic %s\n", s.topic)
	return nil
}

func groupDescribe(ctx context.Context, s settings) error {
	adm, err := admin.Dial(ctx, s.brokers)
	if err != nil {
		return err
	}
	defer adm.Close()
	for _, group := range splitGroups(s.group) {
		g, err := adm.DescribeGroup(ctx, group, s.topic)
		if err != nil {
			return err
		}
		printGroup(g, s.topic)
	}
	return nil
}

func printGroup(g admin.Group, topic string) {
	state := g.State
	if state == "Dead" {
		state = "Dead (unknown to the broker: never joined, or deleted)"
	}
	fmt.Printf("group %s on %s: state %s, %d member(s)\n", g.Name, topic, state, len(g.Members))
	if g.TopicMissing {
		fmt.Printf("  topic %s does not exist (create it with `make topic-create`)\n", topic)
	}
	fmt.Printf("  %-9s %9s %9s %9s %6s\n", "partition", "committed", "log-start", "log-end", "lag")
	var total int64
	for _, p := range g.Partitions {
		committed := "-"
		if p.Committed >= 0 {
			committed = fmt.Sprint(p.Committed)
		}
		total += p.Lag()
		fmt.Printf("  %-9s %9s %9d %9d %6d\n", fmt.Sprintf("p%d", p.Partition), committed, p.LogStart, p.LogEnd, p.Lag())
	}
	fmt.Printf("  total lag %d (lag = log-end - committed; with nothing committed the group starts at log-start)\n", total)
	for _, m := range g.Members {
		fmt.Printf("  member %s (client %s, host %s): %s\n", m.Name(), m.ClientID, m.Host, parts(m.Assigned))
	}
}

func parts(ps []int32) string {
	if len(ps) == 0 {
		return "no partitions"
	}
	s := make([]string, len(ps))
	for i, p := range ps {
		s[i] = fmt.Sprintf("p%d", p)
	}
	return strings.Join(s, " ")
}

func splitGroups(v string) []string {
	var out []string
	for _, g := range strings.Split(v, ",") {
		if g = strings.TrimSpace(g); g != "" {
			out = append(out, g)
		}
	}
	return out
}

func groupDelete(ctx context.Context, s settings) error {
	adm, err := admin.Dial(ctx, s.brokers)
	if err != nil {
		return err
	}
	defer adm.Close()
	var errs []error
	for _, group := range splitGroups(s.group) {
		dctx, cancel := context.WithTimeout(ctx, admin.ReachTimeout)
		resp, err := adm.DeleteGroup(dctx, group)
		cancel()
		if err == nil {
			err = resp.Err
		}
		switch {
		case err == nil:
			fmt.Printf("deleted group %s: its committed offsets are gone, the next run starts from the earliest offset\n", group)
		case errors.Is(err, kerr.GroupIDNotFound):
			fmt.Printf("group %s does not exist: nothing to delete\n", group)
		case errors.Is(err, kerr.NonEmptyGroup):
			g, derr := adm.DescribeGroup(ctx, group, s.topic)
			who := ""
			if derr == nil {
				var ids []string
				for _, m := range g.Members {
					ids = append(ids, m.Name())
				}
				who = " (" + strings.Join(ids, ", ") + ")"
			}
			errs = append(errs, fmt.Errorf("group %s still has members%s: Kafka refuses to delete a group with members. "+
				"Stop its consumers first; a copy that crashed stays a member until its session times out (45s)", group, who))
		default:
			errs = append(errs, fmt.Errorf("delete group %s: %w", group, err))
		}
	}
	return errors.Join(errs...)
}

// count prints exactly one headline, then a line per partition. Without a
// broker it still counts, and says lost=? since the topic could not be asked.
func count(ctx context.Context, s settings) error {
	entries, err := processedlog.ReadFile(s.log)
	if errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("LOG=%s does not exist: no run has written it yet (or `make clean-logs` removed it)", s.log)
	}
	if err != nil {
		return err
	}
	var ranges map[int32]tally.Range
	var note string
	if adm, err := admin.Dial(ctx, s.brokers); err != nil {
		note = fmt.Sprintf("lost=? because %v", err)
	} else {
		ranges, err = adm.Ranges(ctx, s.topic)
		adm.Close()
		if err != nil {
			ranges, note = nil, fmt.Sprintf("lost=? because %v", err)
		}
	}
	r := tally.Count(entries, ranges)
	fmt.Println(r.Headline(s.log))
	for _, p := range r.Partitions {
		fmt.Println(p.Detail())
	}
	if note != "" {
		fmt.Println("  " + note)
	}
	return nil
}
