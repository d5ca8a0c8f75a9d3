package bench

import (
	"encoding/csv"
	"errors"
	"fmt"
	"html"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
)

// CSVHeader is results.csv's first line: one row per broker and
// configuration, medians over the rounds.
var CSVHeader = []string{"broker", "strategy", "commit_per", "max_poll_records", "records_per_s", "ratio_to_baseline",
	"commits", "commit_p50_ms", "commit_p99_ms", "rss_mb", "cpu_s", "records_per_s_min", "records_per_s_max", "rounds", "records"}

// Table is the results as the terminal shows them.
func Table(rs []Result) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%-10s %-18s %21s %9s %8s %9s %9s %7s %6s\n",
		"broker", "row", "records/s (min-max)", "ratio", "commits", "p50 ms", "p99 ms", "RSS MB", "CPU s")
	for _, r := range rs {
		fmt.Fprintf(&b, "%-10s %-18s %8.0f (%5.0fk-%4.0fk) %8.0f%% %8d %9.2f %9.2f %7.0f %6.2f\n",
			r.Broker, r.Row.Name(), r.PerSecond, r.Min/1000, r.Max/1000, 100*r.Ratio, r.Commits, r.P50, r.P99, r.RSSMB, r.CPUSeconds)
	}
	return b.String()
}

// WriteFiles writes results.csv (keeping other brokers' rows from an
// earlier run, so both brokers end up side by side), results.md and
// throughput.svg into dir, and returns every row written.
func WriteFiles(dir string, rs []Result) ([]Result, error) {
	all, err := readCSV(filepath.Join(dir, "results.csv"))
	if err != nil {
		return nil, err
	}
	all = slices.DeleteFunc(all, func(o Result) bool { return len(rs) > 0 && o.Broker == rs[0].Broker })
	all = append(all, rs...)

	f, err := os.Create(filepath.Join(dir, "results.csv"))
	if err != nil {
		return nil, err
	}
	w := csv.NewWriter(f)
	_ = w.Write(CSVHeader)
	num := func(v float64, prec int) string { return strconv.FormatFloat(v, 'f', prec, 64) }
	for _, r := range all {
		_ = w.Write([]string{r.Broker, r.Row.Strategy, r.Row.commitPer(), strconv.Itoa(r.Row.MaxPoll), num(r.PerSecond, 0),
			num(r.Ratio, 3), strconv.Itoa(r.Commits), num(r.P50, 3), num(r.P99, 3), num(r.RSSMB, 1), num(r.CPUSeconds, 2),
			num(r.Min, 0), num(r.Max, 0), strconv.Itoa(r.Rounds), strconv.Itoa(r.Records)})
	}
	w.Flush()
	if err := errors.Join(w.Error(), f.Close()); err != nil {
		return nil, err
	}
	if err := os.WriteFile(filepath.Join(dir, "throughput.svg"), []byte(SVG(all)), 0o644); err != nil {
		return nil, err
	}
	return all, os.WriteFile(filepath.Join(dir, "results.md"), []byte(Markdown(all)), 0o644)
}

// ReadCSV reads a results.csv (none: no rows), such as the recorded run in
// docs/bench-results.csv.
func ReadCSV(path string) ([]Result, error) { return readCSV(path) }

// readCSV reads an earlier results.csv (none: no rows).
func readCSV(path string) ([]Result, error) {
	f, err := os.Open(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	} else if err != nil {
		return nil, err
	}
	defer f.Close()
	lines, err := csv.NewReader(f).ReadAll()
	if err != nil || len(lines) == 0 || !slices.Equal(lines[0], CSVHeader) {
		return nil, nil // another format: start over
	}
	var out []Result
	for _, l := range lines[1:] {
		f := func(i int) float64 { v, _ := strconv.ParseFloat(l[i], 64); return v }
		r := Result{Broker: l[0], Row: Row{Strategy: l[1], MaxPoll: int(f(3))}, PerSecond: f(4), Ratio: f(5),
			Commits: int(f(6)), P50: f(7), P99: f(8), RSSMB: f(9), CPUSeconds: f(10), Min: f(11), Max: f(12),
			Rounds: int(f(13)), Records: int(f(14))}
		if r.Row.Strategy == "manual-sync" || r.Row.Strategy == "manual-async" {
			r.Row.CommitPer = l[2]
		}
		out = append(out, r)
	}
	return out, nil
}

// Markdown is results.md: the table per broker, and the lesson's cost
// claims answered with this run's numbers.
func Markdown(rs []Result) string {
	var b strings.Builder
	b.WriteString("# What committing costs: `make bench`\n\n")
	b.WriteString("Each row: a real consumer binary at `WORK_DELAY=0`, `PRINT=none`, from a fresh group, reading the same seeded topic; ")
	b.WriteString("records/s from its first record to its last (its `stats:` line), commit latency from kgo's broker hook, ")
	b.WriteString("memory and CPU from the kernel. Medians over the rounds; the ratio is to the baseline (never commits) with the same `MAX_POLL_RECORDS`, measured in the same run.\n\n")
	b.WriteString("![records per second, per row and broker](throughput.svg)\n\n")
	b.WriteString("| broker | row | records/s | min–max | ratio | commits | p50 ms | p99 ms | RSS MB | CPU s |\n|---|---|---|---|---|---|---|---|---|---|\n")
	for _, r := range rs {
		fmt.Fprintf(&b, "| %s | `%s` | %.0f | %.0f–%.0f | %.0f %% | %d | %.2f | %.2f | %.0f | %.2f |\n",
			r.Broker, r.Row.Name(), r.PerSecond, r.Min, r.Max, 100*r.Ratio, r.Commits, r.P50, r.P99, r.RSSMB, r.CPUSeconds)
	}
	b.WriteString("\n## The lesson's claims, with these numbers\n\n")
	for _, broker := range brokersOf(rs) {
		find := func(name string) (Result, bool) {
			for _, r := range rs {
				if r.Broker == broker && r.Row.Name() == name {
					return r, true
				}
			}
			return Result{}, false
		}
		fmt.Fprintf(&b, "**%s**\n\n", broker)
		if r, ok := find("sync-batch-500"); ok {
			fmt.Fprintf(&b, "- \"a synchronous commit adds 5–20 ms per batch\": here a commit request took %.2f ms (p50), %.2f ms (p99): a floor on loopback; over a network add a round trip per commit.\n", r.P50, r.P99)
		}
		batch, ok1 := find("sync-batch-500")
		record, ok2 := find("sync-record-500")
		if ok1 && ok2 && record.PerSecond > 0 {
			fmt.Fprintf(&b, "- \"batched commits improve throughput by 10–30 %%\": per batch of 500 vs per record: %.0f vs %.0f records/s, %.0f×.\n",
				batch.PerSecond, record.PerSecond, batch.PerSecond/record.PerSecond)
		}
		for _, name := range []string{"auto-500", "async-500", "async-shutdown-500"} {
			if r, ok := find(name); ok {
				met := "met"
				if r.Ratio < 0.9 || r.PerSecond < 200000 {
					met = "not met"
				}
				fmt.Fprintf(&b, "- target for `%s` (≥ 90 %% of the baseline and ≥ 200000 records/s): %.0f %%, %.0f records/s: %s.\n", name, 100*r.Ratio, r.PerSecond, met)
			}
		}
		b.WriteString("\n")
	}
	return b.String()
}

func brokersOf(rs []Result) []string {
	var out []string
	for _, r := range rs {
		if !slices.Contains(out, r.Broker) {
			out = append(out, r.Broker)
		}
	}
	return out
}

// SVG draws records/s per row as horizontal bars, one per broker side by
// side, on one linear scale: the standard library and nothing else.
func SVG(rs []Result) string {
	brokers := brokersOf(rs)
	var names []string
	for _, r := range rs {
		if !slices.Contains(names, r.Row.Name()) {
			names = append(names, r.Row.Name())
		}
	}
	top := 1.0
	for _, r := range rs {
		top = max(top, r.Max, r.PerSecond)
	}
	const left, width, barH, gap = 150.0, 560.0, 12.0, 8.0
	colors := []string{"#3b6fb6", "#d9822b", "#4a9c5d", "#9b59b6"}
	group := barH*float64(len(brokers)) + gap
	height := 50 + group*float64(len(names)) + 20*float64(len(brokers))
	var b strings.Builder
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" width="%.0f" height="%.0f" font-family="sans-serif" font-size="11">`+"\n", left+width+110, height)
	fmt.Fprintf(&b, `<text x="10" y="18" font-size="13" font-weight="bold">records/s per configuration (median; the thin line spans the rounds)</text>`+"\n")
	for i, name := range names {
		y := 34 + group*float64(i)
		fmt.Fprintf(&b, `<text x="%.0f" y="%.1f" text-anchor="end">%s</text>`+"\n", left-8, y+barH*float64(len(brokers))/2+4, html.EscapeString(name))
		for j, broker := range brokers {
			for _, r := range rs {
				if r.Broker != broker || r.Row.Name() != name {
					continue
				}
				by := y + barH*float64(j)
				w := width * r.PerSecond / top
				fmt.Fprintf(&b, `<rect x="%.0f" y="%.1f" width="%.1f" height="%.0f" fill="%s" data-broker="%s" data-row="%s" data-records-per-s="%.0f"><title>%s on %s: %.0f records/s (%.0f %% of the baseline)</title></rect>`+"\n",
					left, by, w, barH-2, colors[j%len(colors)], html.EscapeString(broker), html.EscapeString(name), r.PerSecond,
					html.EscapeString(name), html.EscapeString(broker), r.PerSecond, 100*r.Ratio)
				fmt.Fprintf(&b, `<line x1="%.1f" x2="%.1f" y1="%.1f" y2="%.1f" stroke="#222"/>`+"\n", left+width*r.Min/top, left+width*r.Max/top, by+barH/2-1, by+barH/2-1)
				fmt.Fprintf(&b, `<text x="%.1f" y="%.1f">%.0fk</text>`+"\n", left+w+4, by+barH-3, r.PerSecond/1000)
			}
		}
	}
	for j, broker := range brokers {
		y := height - 20*float64(len(brokers)-j) + 6
		fmt.Fprintf(&b, `<rect x="%.0f" y="%.0f" width="12" height="10" fill="%s"/><text x="%.0f" y="%.0f">%s</text>`+"\n", left, y, colors[j%len(colors)], left+18, y+9, html.EscapeString(broker))
	}
	b.WriteString("</svg>\n")
	return b.String()
}

// PageTable is docs/costs.md's table: every row of one run, each broker's
// columns side by side (records/s, ratio, commits, p50 / p99 ms), in the
// order of Rows. A broker without the row shows empty cells.
func PageTable(rs []Result) string {
	brokers := brokersOf(rs)
	var b strings.Builder
	b.WriteString("| row |")
	for _, br := range brokers {
		fmt.Fprintf(&b, " %s: records/s | ratio | commits | p50 / p99 ms |", br)
	}
	b.WriteString("\n|---|")
	for range brokers {
		b.WriteString("---:|---:|---:|---|")
	}
	b.WriteString("\n")
	for _, row := range Rows {
		fmt.Fprintf(&b, "| `%s` |", row.Name())
		for _, br := range brokers {
			i := slices.IndexFunc(rs, func(r Result) bool { return r.Broker == br && r.Row.Name() == row.Name() })
			if i < 0 {
				b.WriteString(" | | | |")
				continue
			}
			r := rs[i]
			latency := ""
			switch {
			case r.Commits == 1:
				latency = fmt.Sprintf("%.2f", r.P50)
			case r.Commits > 1:
				latency = fmt.Sprintf("%.2f / %.2f", r.P50, r.P99)
			}
			fmt.Fprintf(&b, " %s | %.0f %% | %s | %s |", grouped(int64(r.PerSecond+0.5)), 100*r.Ratio, grouped(int64(r.Commits)), latency)
		}
		b.WriteString("\n")
	}
	return b.String()
}

// grouped writes n with a space between groups of three digits: 556 600.
func grouped(n int64) string {
	s := strconv.FormatInt(n, 10)
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + " " + s[i:]
	}
	return s
}
