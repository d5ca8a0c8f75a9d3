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
)

// Pick resolves SCENARIOS= and STRATEGIES= ("" or "all": every one).
func Pick(scenarios, strategies string) ([]string, []string, error) {
	var sc, st, named []string
	for _, s := range Scenarios {
		named = append(named, s.Name)
		if !s.Cluster {
			sc = append(sc, s.Name)
		}
	}
	for _, s := range Consumers {
		st = append(st, s.Name)
	}
	pick := func(what, given string, all, known []string) ([]string, error) {
		if given == "" || given == "all" {
			return all, nil
		}
		all = known
		var out []string
		for _, n := range strings.Split(given, ",") {
			n = strings.TrimSpace(n)
			if !slices.Contains(all, n) {
				return nil, fmt.Errorf("%s: no %q; there are %s", what, n, strings.Join(all, ", "))
			}
			out = append(out, n)
		}
		return out, nil
	}
	sc, err := pick("SCENARIOS", scenarios, sc, named)
	if err != nil {
		return nil, nil, err
	}
	st, err = pick("STRATEGIES", strategies, st, st)
	return sc, st, err
}

// Run plays the chosen scenarios for the chosen strategies and returns one
// result per cell, in table order. Every cell has its own topic and group,
// so the scenarios play side by side on one broker, each scenario's
// strategies at once; a scenario that kills or faults the broker
// (Embedded) gets an embedded broker of its own, so that no other cell
// meets its outage. A Cluster scenario, which starts a three-node Apache
// Kafka, plays after the others, on its own.
func Run(ctx context.Context, cfg Config) ([]Result, error) {
	if err := os.MkdirAll(cfg.Out, 0o755); err != nil {
		return nil, err
	}
	// Results of an earlier experiment would mix with this one's.
	for _, s := range Scenarios {
		if err := os.RemoveAll(filepath.Join(cfg.Out, s.Name)); err != nil {
			return nil, err
		}
	}
	l := &lab{cfg: cfg, brokers: cfg.Brokers, dir: cfg.Out}
	shared := slices.ContainsFunc(cfg.Scenarios, func(name string) bool { s := scenario(name); return !s.Cluster && !s.Embedded })
	if l.embedded() && shared {
		if err := l.startBroker(ctx); err != nil {
			return nil, err
		}
		defer l.stopBroker()
		cfg.Progress("started the embedded broker on %s (state in %s)", l.brokers[0], l.own.Data())
	}

	results := make([][]Result, len(cfg.Scenarios))
	errs := make([]error, len(cfg.Scenarios))
	var wg sync.WaitGroup
	for i, name := range cfg.Scenarios {
		s := scenario(name)
		if s.Cluster {
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			played := l
			if s.Embedded && l.embedded() {
				// Its own broker, started for it and stopped after it.
				played = &lab{cfg: cfg, dir: filepath.Join(cfg.Out, s.Name)}
				if err := played.startBroker(ctx); err != nil {
					errs[i] = fmt.Errorf("scenario %s: %w", s.Name, err)
					return
				}
				defer played.stopBroker()
				cfg.Progress("[%d/%d] %s: on an embedded broker of its own, %s (state in %s)", i+1, len(cfg.Scenarios), s.Name, played.brokers[0], played.own.Data())
			}
			results[i], errs[i] = play(ctx, cfg, s, played, cells(cfg, s, played), i)
		}()
	}
	wg.Wait()
	for i, name := range cfg.Scenarios {
		s := scenario(name)
		if !s.Cluster || errors.Join(errs...) != nil {
			continue
		}
		// Its own cluster, started for it and stopped after it.
		played := &lab{cfg: cfg, dir: cfg.Out}
		cfg.Progress("[%d/%d] %s: starting a three-node Apache Kafka (scripts/jvm-kafka.sh NODES=3)", i+1, len(cfg.Scenarios), s.Name)
		if err := played.startCluster(ctx); err != nil {
			played.stopCluster()
			errs[i] = fmt.Errorf("scenario %s: %w", s.Name, err)
			continue
		}
		played.cfg.Brokers = played.brokers
		results[i], errs[i] = play(ctx, cfg, s, played, cells(cfg, s, played), i)
		played.stopCluster()
	}
	var all []Result
	for _, r := range results {
		all = append(all, r...)
	}
	return all, errors.Join(errs...)
}

// cells are scenario s's cells, one per chosen strategy, played on l.
func cells(cfg Config, s Scenario, l *lab) []*cell {
	var cs []*cell
	for _, st := range Consumers {
		if !slices.Contains(cfg.Strategies, st.Name) {
			continue
		}
		cs = append(cs, &cell{lab: l, scenario: s.Name, consumer: st, dir: filepath.Join(cfg.Out, s.Name, st.Name),
			topic: "lab.experiment." + s.Name + "." + st.Name, group: "lab-experiment-" + s.Name + "-" + st.Name})
	}
	return cs
}

// play plays scenario s (number i) with its cells and measures them.
func play(ctx context.Context, cfg Config, s Scenario, l *lab, cells []*cell, i int) ([]Result, error) {
	var results []Result
	if s.Embedded && !l.embedded() {
		cfg.Progress("[%d/%d] %s: skipped: it needs the broker the experiment starts itself (run without BROKERS)", i+1, len(cfg.Scenarios), s.Name)
		for _, c := range cells {
			results = append(results, Result{Scenario: s.Name, Strategy: c.consumer.Name, Window: -1, OK: true,
				Verdict: "skipped: needs the embedded broker the experiment starts (it kills it, or makes its commits fail)"})
		}
		return results, nil
	}
	for _, c := range cells {
		if err := os.MkdirAll(c.dir, 0o755); err != nil {
			return nil, err
		}
	}
	began := time.Now()
	cfg.Progress("[%d/%d] %s: %s", i+1, len(cfg.Scenarios), s.Name, s.Shows)
	if err := s.Play(ctx, l, cells); err != nil {
		return results, fmt.Errorf("scenario %s: %w (outputs in %s)", s.Name, err, filepath.Join(cfg.Out, s.Name))
	}
	var line []string
	for _, c := range cells {
		r, err := c.measure(ctx)
		if err != nil {
			return results, fmt.Errorf("scenario %s, %s: %w", s.Name, c.consumer.Binary, err)
		}
		r.OK, r.Verdict = s.Judge(c.consumer, r)
		if len(r.Backwards) > 0 {
			// Not a loss, but the next restart repeats what lies between:
			// said in every verdict where it happened.
			r.Verdict += "; the group's committed offset moved back: " + strings.Join(r.Backwards, ", ")
		}
		results = append(results, r)
		verdict := "ok"
		if !r.OK {
			verdict = "FAIL"
		}
		line = append(line, fmt.Sprintf("%s dup %d lost %d %s", c.consumer.Name, r.Duplicates, r.Lost, verdict))
	}
	cfg.Progress("[%d/%d] %s done in %.0fs: %s", i+1, len(cfg.Scenarios), s.Name, time.Since(began).Seconds(), strings.Join(line, ", "))
	return results, nil
}

// IsCluster says whether the scenario plays on a cluster of its own.
func IsCluster(name string) bool { return scenario(name).Cluster }

func scenario(name string) Scenario {
	for _, s := range Scenarios {
		if s.Name == name {
			return s
		}
	}
	panic("unknown scenario " + name) // Pick lets only known names through
}
