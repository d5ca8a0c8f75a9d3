// Package experiment plays the failures the lesson texts describe, each on a
// fresh topic and group, for each commit strategy, with the lab's real
// binaries as separate processes (a crash is the consumer's own exit(1), a
// kill a real SIGKILL, a broker restart the broker process killed and started
// again), and measures what happened: processed, duplicates, lost, commits.
// Every scenario states what each strategy promises, and judges it (the
// verdict column): the experiment asserts the lesson, it does not only show it.
package experiment

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"offsetlab/internal/cluster"
	"offsetlab/internal/config"
	"offsetlab/internal/instance"
	"offsetlab/internal/proc"
	"offsetlab/internal/processedlog"
	"offsetlab/internal/tally"
)

// Config is what an experiment is run with.
type Config struct {
	Bin        string   // folder with the lab's binaries
	Out        string   // results go here: .lab/experiment
	Brokers    []string // nil: the experiment starts its own embedded broker
	Scenarios  []string
	Strategies []string
	Progress   func(format string, args ...any)
	// Scripts is the lab's scripts/ folder: a Cluster scenario starts its
	// three-node Apache Kafka with jvm-kafka.sh from there.
	Scripts string
	// GroupProtocol is every consumer's GROUP_PROTOCOL: classic (the
	// default) or consumer (KIP-848).
	GroupProtocol config.GroupProtocol
}

// Consumer is one consumer binary the experiment plays, named by its strategy.
type Consumer struct {
	Name   string // auto, sync, async: what STRATEGIES= takes
	Binary string // auto-commit, manual-sync, manual-async
	// Bounded: the strategy promises that a crash repeats at most the batch
	// in hand (manual-sync), or the marks since the last flush, which comes
	// after every batch (manual-async). auto-commit's window is its timer's.
	Bounded bool
}

// Consumers are the three commit strategies' binaries.
var Consumers = []Consumer{
	{Name: "auto", Binary: "auto-commit"},
	{Name: "sync", Binary: "manual-sync", Bounded: true},
	{Name: "async", Binary: "manual-async", Bounded: true},
}

// lab is the broker the experiment talks to, and how to restart it.
type lab struct {
	cfg     Config
	brokers []string
	own     *proc.Broker // the embedded broker the experiment started; nil with BROKERS

	// dir is where the broker the experiment starts keeps its state and
	// log: the results folder, or a scenario's own for a broker of its own.
	dir string

	// A three-node Apache Kafka a Cluster scenario started (jvm-kafka.sh).
	kafkaPort   int
	kafkaDir    string
	replication int // topics' replication factor; 0: the broker's default
}

// brokersEnv is the BROKERS setting every binary the experiment runs gets.
func (l *lab) brokersEnv() string { return "BROKERS=" + strings.Join(l.brokers, ",") }

// embedded says whether the experiment runs its own broker (which it can
// kill, restart and inject faults into).
func (l *lab) embedded() bool { return l.cfg.Brokers == nil }

// startBroker starts the embedded broker on a free loopback port with a fresh
// state directory, or on the same port and directory again after a kill.
func (l *lab) startBroker(ctx context.Context) error {
	if l.own == nil {
		l.own = &proc.Broker{Bin: l.cfg.Bin, Dir: l.dir, Env: proc.Environ(config.Names)}
	}
	if err := l.own.Start(ctx); err != nil {
		return err
	}
	l.brokers = []string{l.own.Address()}
	return nil
}

// killBroker SIGKILLs the embedded broker: an outage, as a crash of the
// broker's machine would cause.
func (l *lab) killBroker() { l.own.Kill() }

func (l *lab) stopBroker() {
	if l.own != nil {
		l.own.Stop()
	}
}

// admin runs `admin cmd` (the lab's own kadm commands) and fails with its
// output.
func (l *lab) admin(ctx context.Context, dir string, env []string, cmd string) error {
	return l.runTool(ctx, dir, "admin-"+cmd, "admin", append([]string{l.brokersEnv()}, env...), cmd)
}

// fault runs `broker fault-commit` (or fault-clear) against the embedded broker.
func (l *lab) fault(ctx context.Context, dir string, env []string, cmd string) error {
	return l.runTool(ctx, dir, cmd, "broker", append([]string{l.brokersEnv(), "BROKER_DATA=" + l.own.Data()}, env...), cmd)
}

func (l *lab) runTool(ctx context.Context, dir, outName, bin string, env []string, args ...string) error {
	return proc.Run(ctx, l.cmd(bin, filepath.Join(dir, outName+".out"), env, args...), time.Minute)
}

// cmd is a run of one of the lab's binaries (proc.Binary).
func (l *lab) cmd(bin, outPath string, env []string, args ...string) proc.Cmd {
	return proc.Binary(l.cfg.Bin, bin, outPath, env, args...)
}

// cell is one scenario played with one strategy: its own topic, group,
// processed log and events log, in its own folder.
type cell struct {
	lab      *lab
	scenario string
	consumer Consumer
	dir      string
	topic    string
	group    string
	runs     int
	notes    []string // what happened that the numbers do not say
	mu       sync.Mutex
}

func (c *cell) log() string    { return filepath.Join(c.dir, "processed.log") }
func (c *cell) events() string { return filepath.Join(c.dir, "events.jsonl") }

func (c *cell) note(format string, args ...any) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.notes = append(c.notes, fmt.Sprintf(format, args...))
}

// fresh makes the cell's topic anew with records orders in partitions
// partitions, and forgets its group.
func (c *cell) fresh(ctx context.Context, partitions, records int) error {
	// topic-create and topic-delete handle the transactional consumer's
	// tickets topic too: each cell names its own, or the cells, which run
	// in parallel, would create and delete one shared brew.tickets.v1.
	env := []string{"TOPIC=" + c.topic, "OUTPUT_TOPIC=" + c.topic + ".tickets", "GROUP=" + c.group, fmt.Sprintf("PARTITIONS=%d", partitions)}
	if c.lab.replication > 0 {
		env = append(env, fmt.Sprintf("REPLICATION=%d", c.lab.replication))
	}
	for _, cmd := range []string{"topic-delete", "topic-create", "group-delete"} {
		if err := c.lab.admin(ctx, c.dir, env, cmd); err != nil {
			return err
		}
	}
	return c.seed(ctx, records)
}

// seed produces more orders with the lab's seed binary.
func (c *cell) seed(ctx context.Context, records int) error {
	return c.lab.runTool(ctx, c.dir, "seed", "seed", []string{c.lab.brokersEnv(), "TOPIC=" + c.topic, fmt.Sprintf("SEED_MESSAGES=%d", records)})
}

// start starts the cell's consumer with settings on top of the cell's own.
func (c *cell) start(settings ...string) (*proc.Proc, error) {
	c.mu.Lock()
	c.runs++
	n := c.runs
	c.mu.Unlock()
	env := []string{c.lab.brokersEnv(), "TOPIC=" + c.topic, "GROUP=" + c.group,
		"LOG=" + c.log(), "EVENTS=" + c.events()}
	if c.lab.cfg.GroupProtocol != "" {
		env = append(env, "GROUP_PROTOCOL="+string(c.lab.cfg.GroupProtocol))
	}
	env = append(env, settings...)
	return proc.Start(c.lab.cmd(c.consumer.Binary, filepath.Join(c.dir, fmt.Sprintf("run-%d.out", n)), env))
}

// run runs the consumer to its end and checks its exit code.
func (c *cell) run(ctx context.Context, want int, settings ...string) error {
	p, err := c.start(settings...)
	if err != nil {
		return err
	}
	return c.expect(ctx, p, want)
}

// expect waits for p and checks its exit code.
func (c *cell) expect(ctx context.Context, p *proc.Proc, want int) error {
	code, err := p.Wait(ctx, 2*time.Minute)
	if err != nil {
		return err
	}
	if code != want {
		return fmt.Errorf("%s exited %d, expected %d:\n%s", p.Name(), code, want, p.Tail(6))
	}
	return nil
}

// until asks the cell's broker, every 100 ms, what check looks for, until it
// says nothing is missing (""), or timeout has passed: the error then says
// what was still missing.
func (c *cell) until(ctx context.Context, timeout time.Duration, check func(adm *cluster.Client) (missing string)) error {
	adm, err := cluster.Dial(ctx, config.Plaintext(c.lab.brokers))
	if err != nil {
		return err
	}
	defer adm.Close()
	deadline := time.Now().Add(timeout)
	for {
		missing := check(adm)
		if missing == "" {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("after %s: %s", timeout, missing)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// waitCommitted waits until the group has committed every partition of the
// topic to its end: when copies share the partitions, one copy's IDLE_EXIT
// only knows about its own, so a scenario with copies stops them itself once
// the group as a whole is done.
func (c *cell) waitCommitted(ctx context.Context, timeout time.Duration) error {
	return c.until(ctx, timeout, func(adm *cluster.Client) string {
		g, err := adm.DescribeGroup(ctx, c.group, c.topic)
		done := err == nil && len(g.Partitions) > 0
		for _, p := range g.Partitions {
			done = done && p.Committed >= p.LogEnd
		}
		if !done {
			return fmt.Sprintf("group %s has not committed %s to its end", c.group, c.topic)
		}
		return ""
	})
}

// waitDone waits until every record of the cell's topic has been processed
// at least once and the group is stable with members copies.
func (c *cell) waitDone(ctx context.Context, members int, timeout time.Duration) error {
	return c.until(ctx, timeout, func(adm *cluster.Client) string {
		ranges, err := adm.Ranges(ctx, c.topic)
		if err != nil {
			return err.Error()
		}
		es, err := processedlog.ReadFile(c.log())
		if n := tally.Count(es, ranges); err != nil || n.Lost > 0 {
			return fmt.Sprintf("%d records of %s not processed yet", n.Lost, c.topic)
		}
		if g, err := adm.DescribeGroup(ctx, c.group, c.topic); err != nil || g.State != "Stable" || len(g.Members) != members {
			return fmt.Sprintf("group %s is %s with %d members (%v)", c.group, g.State, len(g.Members), err)
		}
		return ""
	})
}

// waitDropped waits until the broker has dropped copy INSTANCE=n of the
// cell's consumer from its group: the group has members, and that static
// member is not one of them.
func (c *cell) waitDropped(ctx context.Context, n int, timeout time.Duration) error {
	id := instance.ID(c.group, n)
	return c.until(ctx, timeout, func(adm *cluster.Client) string {
		g, err := adm.DescribeGroup(ctx, c.group, c.topic)
		if err != nil || len(g.Members) == 0 || slices.ContainsFunc(g.Members, func(m cluster.Member) bool { return m.InstanceID == id }) {
			return fmt.Sprintf("the broker still has %s in group %s (%v)", id, c.group, err)
		}
		return ""
	})
}

// stop asks each run to stop (Ctrl+C) and checks that each stops cleanly.
func (c *cell) stop(ctx context.Context, ps ...*proc.Proc) error {
	for _, p := range ps {
		_ = p.Signal(os.Interrupt)
	}
	for _, p := range ps {
		if err := c.expect(ctx, p, 0); err != nil {
			return err
		}
	}
	return nil
}

// each plays f for every cell at once (the cells share nothing but the
// broker), and returns the first error.
func each(cells []*cell, f func(c *cell) error) error {
	errs := make([]error, len(cells))
	var wg sync.WaitGroup
	for i, c := range cells {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := f(c); err != nil {
				errs[i] = fmt.Errorf("%s: %w", c.consumer.Binary, err)
			}
		}()
	}
	wg.Wait()
	return errors.Join(errs...)
}
