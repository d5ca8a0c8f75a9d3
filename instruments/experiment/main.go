// experiment plays every failure the lesson texts describe, for every commit
// strategy, and answers each claim with a number:
//
//	experiment                                 every scenario, every strategy, on its own embedded broker
//	experiment -scenarios crash,sigkill -strategies sync
//	experiment -brokers 127.0.0.1:9092         on a broker that runs already (Apache Kafka, say)
//
// Each cell (a scenario played with a strategy) gets a fresh topic and group,
// runs the lab's real consumer binaries as processes, and is measured from
// its processed log, its events log and the topic's offsets; each strategy's
// promise is judged by the experiment itself (the verdict column). It prints
// one table and writes OUT/results.csv, OUT/results.md and one timeline per
// cell (OUT/<scenario>/<strategy>/timeline.svg). Exit status 1 if a verdict
// fails.
package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"time"

	"offsetlab/internal/advice"
	"offsetlab/internal/config"
	"offsetlab/internal/experiment"
)

func main() {
	s := config.New("experiment", os.Getenv)
	brokers := s.OptionalBrokers("broker(s) to play on, host:port[,host:port] (default: start an embedded broker of its own)")
	scenarios := s.Optional("SCENARIOS", "comma-separated scenarios (default: all)", nil)
	strategies := s.Optional("STRATEGIES", "comma-separated strategies: auto, sync, async (default: all)", nil)
	out := s.String("OUT", ".lab/experiment", "folder for results.csv, results.md and the timelines")
	protocol := s.GroupProtocol("every consumer's group protocol: classic (the members assign) or consumer (KIP-848: the broker assigns)")
	if err := s.Parse(os.Args[1:]); err != nil {
		os.Exit(config.Fail("experiment", s, err))
	}
	sc, st, err := experiment.Pick(*scenarios, *strategies)
	if err != nil {
		os.Exit(config.Fail("experiment", s, err))
	}
	self, err := os.Executable()
	if err != nil {
		fmt.Fprintf(os.Stderr, "experiment: error: %v\n", err)
		os.Exit(2)
	}
	// The lab's scripts/ beside bin/: where jvm-kafka.sh starts the
	// coordinator-failover scenario's three-node Apache Kafka.
	scripts := filepath.Join(filepath.Dir(filepath.Dir(self)), "scripts")
	if _, err := os.Stat(filepath.Join(scripts, "jvm-kafka.sh")); err != nil {
		scripts = ""
	}
	cfg := experiment.Config{Bin: filepath.Dir(self), Scripts: scripts, Out: *out, Scenarios: sc, Strategies: st, GroupProtocol: *protocol,
		Progress: func(format string, args ...any) {
			fmt.Printf("%s experiment | %s\n", time.Now().Format("15:04:05"), fmt.Sprintf(format, args...))
		}}
	where := "the embedded broker the experiment starts"
	if !slices.ContainsFunc(sc, func(name string) bool { return !experiment.IsCluster(name) }) {
		where = "a three-node Apache Kafka the experiment starts"
	}
	if *brokers != nil {
		cfg.Brokers = *brokers
		where = strings.Join(cfg.Brokers, ",")
	}
	if *protocol != config.ProtocolClassic {
		where += ", GROUP_PROTOCOL=" + string(*protocol)
	}

	// Ctrl+C stops the scenario in play: its consumers are killed, the
	// broker the experiment started is stopped.
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	began := time.Now()
	results, err := experiment.Run(ctx, cfg)
	if ctx.Err() != nil {
		fmt.Fprintf(os.Stderr, "experiment: stopped by a signal after %.0fs: its runs and broker are stopped, no results written\n", time.Since(began).Seconds())
		os.Exit(130)
	}
	if errors.Is(err, experiment.ErrNoScripts) {
		fmt.Fprintf(os.Stderr, "experiment: error: %v; run it with `make experiment`\n", err)
		os.Exit(2)
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "experiment: error: %s\n", advice.Error(err))
		os.Exit(2)
	}
	if err := experiment.WriteFiles(cfg.Out, results, where); err != nil {
		fmt.Fprintf(os.Stderr, "experiment: error: %v\n", err)
		os.Exit(2)
	}
	fmt.Println()
	fmt.Print(experiment.Table(results))
	fmt.Printf("\n%d cells in %.0fs on %s. Results: %s, %s; a timeline per cell: %s\n", len(results), time.Since(began).Seconds(), where,
		filepath.Join(cfg.Out, "results.csv"), filepath.Join(cfg.Out, "results.md"), filepath.Join(cfg.Out, "<scenario>/<strategy>/timeline.html"))
	for _, r := range results {
		if !r.OK {
			fmt.Println("a verdict failed: see the FAIL rows")
			os.Exit(1)
		}
	}
}
