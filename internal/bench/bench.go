// Package bench measures what committing costs (make bench): every
// strategy's real binary, at no pretend work, over one seeded topic, round by
// round, with the medians of what each run's stats line and the kernel say.
package bench

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"offsetlab/internal/config"
	"offsetlab/internal/proc"
)

// Config is what `make bench` runs with.
type Config struct {
	Bin     string   // folder with the lab's binaries
	Out     string   // results go here: .lab/bench
	Brokers []string // nil: the bench starts its own embedded broker
	Broker  string   // the broker's name in the results: "embedded", "kafka", ...
	Records int      // orders seeded once, read by every run
	Rounds  int
	// Rows, if set, picks rows by name (Row.Name); nil: all.
	Rows     []string
	Progress func(format string, args ...any)
}

// Row is one configuration: a consumer binary and its settings, always
// at WORK_DELAY=0 and PRINT=none, from a fresh group.
type Row struct {
	Strategy  string // auto-commit, manual-sync, manual-async; "baseline" is manual-sync with COMMIT_PER=none
	CommitPer string // manual-sync's and manual-async's COMMIT_PER; "" for the others and manual-async's default
	MaxPoll   int
	// Limit caps the records a run processes (CRASH=Limit: it exits
	// there), for rows too slow to read the whole topic in each round.
	Limit int
}

// Name is the row's short name, as BENCH_ROWS takes it: "sync-batch-500".
func (r Row) Name() string {
	s := map[string]string{"baseline": "baseline", "auto-commit": "auto", "manual-sync": "sync", "manual-async": "async"}[r.Strategy]
	if r.Strategy == "manual-sync" || (r.Strategy == "manual-async" && r.CommitPer != "") {
		s += "-" + notNameChars.ReplaceAllString(r.CommitPer, "")
	}
	return fmt.Sprintf("%s-%d", s, r.MaxPoll)
}

func (r Row) binary() string {
	if r.Strategy == "baseline" {
		return "manual-sync"
	}
	return r.Strategy
}

func (r Row) commitPer() string {
	if r.Strategy == "baseline" {
		return "none"
	}
	return r.CommitPer
}

// Rows are the configurations `make bench` compares: a baseline that
// never commits, each strategy at MAX_POLL_RECORDS 5, 50 and 500,
// manual-sync's other granularities at 500, and manual-async without its
// flush per batch (COMMIT_PER=shutdown) at 500.
var Rows = func() []Row {
	var rows []Row
	for _, mp := range []int{5, 50, 500} {
		rows = append(rows,
			Row{Strategy: "baseline", MaxPoll: mp},
			Row{Strategy: "auto-commit", MaxPoll: mp},
			Row{Strategy: "manual-sync", CommitPer: "batch", MaxPoll: mp},
			Row{Strategy: "manual-async", MaxPoll: mp})
	}
	return append(rows,
		// A commit per record is a broker round trip per record: 20000
		// of them say what it costs.
		Row{Strategy: "manual-sync", CommitPer: "record", MaxPoll: 500, Limit: 20000},
		Row{Strategy: "manual-sync", CommitPer: "count:100", MaxPoll: 500},
		Row{Strategy: "manual-sync", CommitPer: "time:100ms", MaxPoll: 500},
		// The lesson texts' production pattern: the timer alone while the
		// loop runs, one blocking commit at the stop. Beside async-500
		// it says what the blocking flush per batch costs.
		Row{Strategy: "manual-async", CommitPer: "shutdown", MaxPoll: 500})
}()

// Result is a row's medians over the rounds.
type Result struct {
	Broker     string
	Row        Row
	Records    int     // records each run processed
	PerSecond  float64 // median records/s, first record to last
	Min, Max   float64 // spread of records/s over the rounds
	Ratio      float64 // to the baseline with the same MAX_POLL_RECORDS, in this run
	Commits    int     // median commit requests sent (kgo's hook)
	P50, P99   float64 // median of the rounds' commit latency percentiles, ms
	RSSMB      float64 // median peak resident memory
	CPUSeconds float64 // median user+system CPU
	Rounds     int
}

// sample is one run of one row.
type sample struct {
	records        int
	perSecond      float64
	commits        int
	p50, p99       float64
	rssMB, cpuSecs float64
}

// notNameChars are what a row's name drops from COMMIT_PER ("time:100ms" → "time100ms").
var notNameChars = regexp.MustCompile(`[^a-z0-9]+`)

var statsLine = regexp.MustCompile(`stats: (\d+) records in ([\d.]+) s from the first to the last(?: \((\d+)/s\))?; (?:no commit requests|(\d+) commit requests?, p50 ([\d.]+) ms, p99 ([\d.]+) ms)`)

// Run seeds the topic once, then runs every row Rounds times (round by
// round, so that a slow moment of the machine falls on every row alike), and
// returns each row's medians.
func Run(ctx context.Context, cfg Config) ([]Result, error) {
	rows := Rows
	if cfg.Rows != nil {
		rows = nil
		for _, r := range Rows {
			if slices.Contains(cfg.Rows, r.Name()) {
				rows = append(rows, r)
			}
		}
	}
	runs := filepath.Join(cfg.Out, "runs")
	if err := os.RemoveAll(runs); err != nil {
		return nil, err
	}
	if err := os.MkdirAll(runs, 0o755); err != nil {
		return nil, err
	}
	l := &lab{bin: cfg.Bin, brokers: cfg.Brokers}
	if l.brokers == nil {
		own := &proc.Broker{Bin: cfg.Bin, Dir: cfg.Out, Env: proc.Environ(config.Names)}
		if err := own.Start(ctx); err != nil {
			return nil, err
		}
		defer own.Stop()
		l.brokers = []string{own.Address()}
	}
	const topic = "lab.bench.orders"
	for _, cmd := range []string{"topic-delete", "topic-create"} {
		if err := l.run(ctx, filepath.Join(runs, "admin-"+cmd+".out"), "admin", []string{"TOPIC=" + topic, "OUTPUT_TOPIC=" + topic + ".tickets", "PARTITIONS=3"}, cmd); err != nil {
			return nil, err
		}
	}
	began := time.Now()
	if err := l.run(ctx, filepath.Join(runs, "seed.out"), "seed", []string{"TOPIC=" + topic, "SEED_MESSAGES=" + strconv.Itoa(cfg.Records)}); err != nil {
		return nil, err
	}
	cfg.Progress("seeded %d orders into %s in %.1fs; %d rows × %d rounds on %s", cfg.Records, topic, time.Since(began).Seconds(), len(rows), cfg.Rounds, cfg.Broker)

	samples := make([][]sample, len(rows))
	for round := 1; round <= cfg.Rounds; round++ {
		for i, r := range rows {
			s, err := runOnce(ctx, l, runs, topic, r, cfg.Records, round)
			if err != nil {
				return nil, fmt.Errorf("%s, round %d: %w", r.Name(), round, err)
			}
			samples[i] = append(samples[i], s)
			cfg.Progress("round %d/%d %-18s %9.0f records/s  %6d commits  p50 %5.2f ms  p99 %5.2f ms  %4.0f MB  %5.2f s CPU",
				round, cfg.Rounds, r.Name(), s.perSecond, s.commits, s.p50, s.p99, s.rssMB, s.cpuSecs)
		}
	}

	results := make([]Result, len(rows))
	for i, r := range rows {
		ss := samples[i]
		rate := medianOf(ss, func(s sample) float64 { return s.perSecond })
		results[i] = Result{Broker: cfg.Broker, Row: r, Records: ss[0].records, PerSecond: rate,
			Min:        slices.Min(valuesOf(ss, func(s sample) float64 { return s.perSecond })),
			Max:        slices.Max(valuesOf(ss, func(s sample) float64 { return s.perSecond })),
			Commits:    int(medianOf(ss, func(s sample) float64 { return float64(s.commits) })),
			P50:        medianOf(ss, func(s sample) float64 { return s.p50 }),
			P99:        medianOf(ss, func(s sample) float64 { return s.p99 }),
			RSSMB:      medianOf(ss, func(s sample) float64 { return s.rssMB }),
			CPUSeconds: medianOf(ss, func(s sample) float64 { return s.cpuSecs }),
			Rounds:     len(ss)}
	}
	for i := range results {
		for _, b := range results {
			if b.Row.Strategy == "baseline" && b.Row.MaxPoll == results[i].Row.MaxPoll && b.PerSecond > 0 {
				results[i].Ratio = results[i].PerSecond / b.PerSecond
			}
		}
	}
	return results, nil
}

// lab is where the bench's binaries are and the broker they talk to.
type lab struct {
	bin     string
	brokers []string
}

// cmd is a run of one of the lab's binaries on the bench's broker
// (proc.Binary).
func (l *lab) cmd(bin, outPath string, env []string, args ...string) proc.Cmd {
	return proc.Binary(l.bin, bin, outPath, append([]string{"BROKERS=" + strings.Join(l.brokers, ",")}, env...), args...)
}

// run runs one of the lab's tools to its end (exit 0).
func (l *lab) run(ctx context.Context, outPath, bin string, env []string, args ...string) error {
	return proc.Run(ctx, l.cmd(bin, outPath, env, args...), time.Minute)
}

// runOnce runs a row's consumer once, from a fresh group, to the end of the
// topic (or its Limit), and reads what it measured from its stats line and
// what it cost from the kernel.
func runOnce(ctx context.Context, l *lab, dir, topic string, r Row, records, round int) (sample, error) {
	name := fmt.Sprintf("%s-%d", r.Name(), round)
	want, code := records, 0
	settings := []string{"TOPIC=" + topic, "GROUP=lab-bench-" + name + "-" + strconv.FormatInt(time.Now().UnixNano(), 36),
		"LOG=" + filepath.Join(dir, name+".log"), "EVENTS=" + filepath.Join(dir, name+".jsonl"),
		"WORK_DELAY=0", "PRINT=none", "IDLE_EXIT=300ms", "MAX_POLL_RECORDS=" + strconv.Itoa(r.MaxPoll)}
	if cp := r.commitPer(); cp != "" {
		settings = append(settings, "COMMIT_PER="+cp)
	}
	if r.Limit > 0 && r.Limit < records {
		// CRASH is the lab's way to stop after N records; the stats line
		// comes before the exit.
		want, code = r.Limit, 1
		settings = append(settings, "CRASH="+strconv.Itoa(r.Limit))
	}
	p, err := proc.Start(l.cmd(r.binary(), filepath.Join(dir, name+".out"), settings))
	if err != nil {
		return sample{}, err
	}
	got, err := p.Wait(ctx, 10*time.Minute)
	if err != nil {
		return sample{}, err
	}
	// The logs are the consumer's work, not the bench's results: 200000
	// lines a run add up.
	for _, f := range []string{name + ".log", name + ".jsonl"} {
		_ = os.Remove(filepath.Join(dir, f))
	}
	if got != code {
		return sample{}, fmt.Errorf("%s exited %d, want %d: %s", r.binary(), got, code, p.Tail(3))
	}
	var m []string
	for _, line := range p.Lines() {
		if mm := statsLine.FindStringSubmatch(line); mm != nil {
			m = mm
		}
	}
	usage := p.Usage()
	if m == nil || usage == nil {
		return sample{}, fmt.Errorf("%s printed no stats line: %s", r.binary(), p.Tail(3))
	}
	s := sample{rssMB: float64(usage.Maxrss) / 1024,
		cpuSecs: time.Duration(usage.Utime.Nano() + usage.Stime.Nano()).Seconds()}
	s.records, _ = strconv.Atoi(m[1])
	s.perSecond, _ = strconv.ParseFloat(m[3], 64)
	s.commits, _ = strconv.Atoi(m[4])
	s.p50, _ = strconv.ParseFloat(m[5], 64)
	s.p99, _ = strconv.ParseFloat(m[6], 64)
	if s.records != want || s.perSecond <= 0 {
		return sample{}, fmt.Errorf("%s processed %d records (want %d) at %.0f/s", r.binary(), s.records, want, s.perSecond)
	}
	return s, nil
}

func valuesOf(ss []sample, f func(sample) float64) []float64 {
	out := make([]float64, len(ss))
	for i, s := range ss {
		out[i] = f(s)
	}
	return out
}

// medianOf is the median (the lower middle for an even count).
func medianOf(ss []sample, f func(sample) float64) float64 {
	v := valuesOf(ss, f)
	slices.Sort(v)
	return v[(len(v)-1)/2]
}
