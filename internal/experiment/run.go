package experiment

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
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
	for _, s := range Strategies {
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

// Run plays the chosen scenarios for the chosen strategies, scenario after
// scenario (the strategies of one scenario at once, each on its own topic
// and group), and returns one result per cell, in table order.
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
	l := &lab{cfg: cfg, brokers: cfg.Brokers}
	shared := slices.ContainsFunc(cfg.Scenarios, func(name string) bool { return !scenario(name).Cluster })
	if l.embedded() && shared {
		if err := l.startBroker(ctx); err != nil {
			return nil, err
		}
		defer l.stopBroker()
		cfg.Progress("started the embedded broker on %s (state in %s)", l.brokers[0], l.data)
	}

	var results []Result
	for i, name := range cfg.Scenarios {
		s := scenario(name)
		var cells []*cell
		for _, st := range Strategies {
			if !slices.Contains(cfg.Strategies, st.Name) {
				continue
			}
			dir := filepath.Join(cfg.Out, s.Name, st.Name)
			if err := os.MkdirAll(dir, 0o755); err != nil {
				return nil, err
			}
			cells = append(cells, &cell{lab: l, scenario: s.Name, strategy: st, dir: dir,
				topic: "lab.experiment." + s.Name + "." + st.Name, group: "lab-experiment-" + s.Name + "-" + st.Name})
		}
		played := l
		if s.Cluster {
			// Its own cluster, started for it and stopped after it.
			played = &lab{cfg: cfg}
			for _, c := range cells {
				c.lab = played
			}
			cfg.Progress("[%d/%d] %s: starting a three-node Apache Kafka (scripts/jvm-kafka.sh NODES=3)", i+1, len(cfg.Scenarios), s.Name)
			if err := played.startCluster(ctx); err != nil {
				played.stopCluster()
				return results, fmt.Errorf("scenario %s: %w", s.Name, err)
			}
			played.cfg.Brokers = played.brokers
		}
		res, err := play(ctx, cfg, s, played, cells, i)
		if s.Cluster {
			played.stopCluster()
		}
		results = append(results, res...)
		if err != nil {
			return results, err
		}
	}
	return results, nil
}

// play plays scenario s (number i) with its cells and measures them.
func play(ctx context.Context, cfg Config, s Scenario, l *lab, cells []*cell, i int) ([]Result, error) {
	var results []Result
	if s.Embedded && !l.embedded() {
		cfg.Progress("[%d/%d] %s: skipped: it needs the broker the experiment starts itself (run without BROKERS)", i+1, len(cfg.Scenarios), s.Name)
		for _, c := range cells {
			results = append(results, Result{Scenario: s.Name, Strategy: c.strategy.Name, Window: -1, OK: true,
				Verdict: "skipped: needs the embedded broker the experiment starts (it kills it, or makes its commits fail)"})
		}
		return results, nil
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
			return results, fmt.Errorf("scenario %s, %s: %w", s.Name, c.strategy.Binary, err)
		}
		r.OK, r.Verdict = s.Judge(c.strategy, r)
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
		line = append(line, fmt.Sprintf("%s dup %d lost %d %s", c.strategy.Name, r.Duplicates, r.Lost, verdict))
	}
	cfg.Progress("      %s (%.0fs)", strings.Join(line, ", "), time.Since(began).Seconds())
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
