package experiment

import (
	"encoding/csv"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// Table is the results as the terminal shows them.
func Table(rs []Result) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%-19s %-8s %9s %6s %10s %5s %7s %6s %6s  %s\n",
		"scenario", "strategy", "processed", "unique", "duplicates", "lost", "commits", "failed", "secs", "verdict")
	for _, r := range rs {
		if strings.HasPrefix(r.Verdict, "skipped") {
			fmt.Fprintf(&b, "%-19s %-8s %s\n", r.Scenario, r.Strategy, r.Verdict)
			continue
		}
		v := "ok"
		if !r.OK {
			v = "FAIL: " + r.Verdict
		} else if len(r.Backwards) > 0 {
			v = "ok; committed offset moved back: " + strings.Join(r.Backwards, ", ")
		}
		fmt.Fprintf(&b, "%-19s %-8s %9d %6d %10d %5d %7d %6d %6.1f  %s\n",
			r.Scenario, r.Strategy, r.Processed, r.Unique, r.Duplicates, r.Lost, r.Commits, r.Failed, r.Seconds, v)
	}
	return b.String()
}

// CSVHeader is results.csv's first line.
var CSVHeader = []string{"scenario", "strategy", "processed", "unique", "duplicates", "lost", "commits", "failed_commits",
	"seconds", "verdict", "window", "runs", "ok", "timeline", "backwards"}

// WriteFiles writes results.csv and results.md into dir.
func WriteFiles(dir string, rs []Result, broker string) error {
	f, err := os.Create(filepath.Join(dir, "results.csv"))
	if err != nil {
		return err
	}
	w := csv.NewWriter(f)
	_ = w.Write(CSVHeader)
	for _, r := range rs {
		_ = w.Write([]string{r.Scenario, r.Strategy, strconv.Itoa(r.Processed), strconv.Itoa(r.Unique),
			strconv.Itoa(r.Duplicates), strconv.Itoa(r.Lost), strconv.Itoa(r.Commits), strconv.Itoa(r.Failed),
			strconv.FormatFloat(r.Seconds, 'f', 2, 64), r.Verdict, strconv.Itoa(r.Window), strconv.Itoa(r.Runs),
			strconv.FormatBool(r.OK), r.Timeline, strings.Join(r.Backwards, " ")})
	}
	w.Flush()
	if err := w.Error(); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(dir, "results.md"), []byte(Markdown(rs, broker)), 0o644)
}

// Markdown is results.md: the table, then per scenario the claim it checks
// and what was measured, with each cell's timeline.
func Markdown(rs []Result, broker string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "# make experiment: results\n\nBroker: %s. Each row: a fresh topic and group, the lab's real binaries as processes. "+
		"`duplicates` = processed-log lines beyond the first per offset, `lost` = offsets in the topic never processed, "+
		"`commits` = commits that moved a committed offset, `failed` = failed commit tries.\n\n", broker)
	b.WriteString("| scenario | strategy | processed | unique | duplicates | lost | commits | failed | seconds | verdict |\n")
	b.WriteString("|---|---|---:|---:|---:|---:|---:|---:|---:|---|\n")
	for _, r := range rs {
		v := "ok"
		if strings.HasPrefix(r.Verdict, "skipped") {
			fmt.Fprintf(&b, "| %s | %s | | | | | | | | %s |\n", r.Scenario, r.Strategy, r.Verdict)
			continue
		}
		if !r.OK {
			v = "**FAIL**"
		}
		fmt.Fprintf(&b, "| %s | %s | %d | %d | %d | %d | %d | %d | %.1f | %s |\n",
			r.Scenario, r.Strategy, r.Processed, r.Unique, r.Duplicates, r.Lost, r.Commits, r.Failed, r.Seconds, v)
	}
	for _, s := range Scenarios {
		var mine []Result
		for _, r := range rs {
			if r.Scenario == s.Name {
				mine = append(mine, r)
			}
		}
		if len(mine) == 0 {
			continue
		}
		fmt.Fprintf(&b, "\n## %s\n\n**The lesson texts:** %s\n\n**Played:** %s\n\n**Measured:**\n\n", s.Name, s.Claim, s.Shows)
		for _, r := range mine {
			fmt.Fprintf(&b, "- %s: %s", r.Strategy, r.Verdict)
			if len(r.Notes) > 0 {
				fmt.Fprintf(&b, " (%s)", strings.Join(r.Notes, "; "))
			}
			if r.Timeline != "" {
				fmt.Fprintf(&b, " [timeline](%s)", r.Timeline)
			}
			b.WriteString("\n")
		}
	}
	return b.String()
}
