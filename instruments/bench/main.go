// bench measures what committing costs, the way the lab runs: each real
// consumer binary, at WORK_DELAY=0, reading the same seeded topic from a
// fresh group, round after round. It prints a table and writes
// results.csv, results.md and throughput.svg.
//
//	bench                                      on its own embedded broker
//	bench -brokers 127.0.0.1:9092 -bench-broker kafka   on a broker that runs already
//	bench -bench-records 5000 -rounds 1        a quick look
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"time"

	"offsetlab/internal/advice"
	"offsetlab/internal/bench"
	"offsetlab/internal/config"
)

func main() {
	s := config.New("bench", os.Getenv)
	brokers := s.OptionalBrokers("broker(s) to measure on, host:port[,host:port] (default: start an embedded broker of its own)")
	broker := s.Optional("BENCH_BROKER", "the broker's name in the results (default: embedded, or the BROKERS given)", nil)
	records := s.Int("BENCH_RECORDS", 200000, 100, 10_000_000, "orders seeded once and read by every run")
	rounds := s.Int("ROUNDS", 3, 1, 20, "runs of every row; the results are their medians")
	rows := s.Optional("BENCH_ROWS", "comma-separated rows, e.g. baseline-500,sync-batch-500 (default: all)", nil)
	out := s.String("OUT", ".lab/bench", "folder for results.csv, results.md and throughput.svg")
	if err := s.Parse(os.Args[1:]); err != nil {
		os.Exit(config.Fail("bench", s, err))
	}
	self, err := os.Executable()
	if err != nil {
		fail(err)
	}
	cfg := bench.Config{Bin: filepath.Dir(self), Out: *out, Broker: *broker, Records: *records, Rounds: *rounds,
		Progress: func(format string, args ...any) {
			fmt.Printf("%s bench | %s\n", time.Now().Format("15:04:05"), fmt.Sprintf(format, args...))
		}}
	cfg.Brokers = *brokers
	if cfg.Broker == "" {
		cfg.Broker = "embedded"
		if cfg.Brokers != nil {
			cfg.Broker = strings.Join(cfg.Brokers, ",")
		}
	}
	if *rows != "" {
		var names []string
		for _, r := range bench.Rows {
			names = append(names, r.Name())
		}
		for _, r := range strings.Split(*rows, ",") {
			if r = strings.TrimSpace(r); !slices.Contains(names, r) {
				fmt.Fprintf(os.Stderr, "bench: bad settings:\n  BENCH_ROWS (-bench-rows) = %q: no row %q; there are %s\n", *rows, r, strings.Join(names, ", "))
				os.Exit(2)
			}
			cfg.Rows = append(cfg.Rows, r)
		}
	}
	if err := os.MkdirAll(cfg.Out, 0o755); err != nil {
		fail(err)
	}

	// Ctrl+C stops the run in play and the broker the bench started.
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	began := time.Now()
	results, err := bench.Run(ctx, cfg)
	if ctx.Err() != nil {
		fmt.Fprintf(os.Stderr, "bench: stopped by a signal after %.0fs: no results written\n", time.Since(began).Seconds())
		os.Exit(130)
	}
	if err != nil {
		fail(err)
	}
	all, err := bench.WriteFiles(cfg.Out, results)
	if err != nil {
		fail(err)
	}
	fmt.Println()
	fmt.Print(bench.Table(results))
	fmt.Printf("\n%d rows × %d rounds in %.0fs on %s. Results (with earlier runs on other brokers, %d rows in all): %s, %s, %s\n",
		len(results), cfg.Rounds, time.Since(began).Seconds(), cfg.Broker, len(all),
		filepath.Join(cfg.Out, "results.csv"), filepath.Join(cfg.Out, "results.md"), filepath.Join(cfg.Out, "throughput.svg"))
}

func fail(err error) {
	fmt.Fprintf(os.Stderr, "bench: error: %s\n", advice.Error(err))
	os.Exit(2)
}
