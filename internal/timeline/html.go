package timeline

import (
	"fmt"
	"strings"

	"offsetlab/internal/tally"
)

// HTML is a page with the picture and, beside it, the numbers: the count,
// each partition's duplicates and losses, and each run.
func (t *Timeline) HTML() string {
	var b strings.Builder
	fmt.Fprintf(&b, `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>%s</title>
<style>
body { font-family: DejaVu Sans, Helvetica, Arial, sans-serif; margin: 24px; color: #111; }
.wrap { display: flex; gap: 28px; align-items: flex-start; flex-wrap: wrap; }
.pic { flex: 1 1 1100px; min-width: 800px; }
.pic svg { width: 100%%; height: auto; }
.numbers { flex: 0 1 460px; font-size: 17px; }
table { border-collapse: collapse; margin: 8px 0 18px; }
td, th { border-bottom: 1px solid #ddd; padding: 4px 10px; text-align: right; }
td:first-child, th:first-child { text-align: left; }
code, .mono { font-family: DejaVu Sans Mono, Menlo, monospace; }
.caption { font-size: 19px; margin: 6px 0 14px; }
</style></head><body>
<div class="wrap"><div class="pic">
%s</div>
<div class="numbers">
<p class="caption mono">%s</p>
`, esc(t.Title), t.SVG(), esc(t.Headline))

	b.WriteString("<table><tr><th>partition</th><th>lines</th><th>unique</th><th>duplicated</th><th>lost</th><th>committed</th></tr>\n")
	for _, pt := range t.Count.Partitions {
		lost := "?"
		if pt.Lost != nil {
			lost = orNone(tally.Ranges(pt.Lost))
		}
		committed := "-"
		for _, l := range t.Lanes {
			if l.Partition == pt.ID && len(l.Steps) > 0 {
				committed = fmt.Sprint(l.Steps[len(l.Steps)-1].Offset)
			}
		}
		fmt.Fprintf(&b, "<tr><td>p%d</td><td>%d</td><td>%d</td><td>%s</td><td>%s</td><td>%s</td></tr>\n",
			pt.ID, pt.Lines, pt.Unique, esc(orNone(tally.Ranges(pt.Duplicated))), esc(lost), committed)
	}
	b.WriteString("</table>\n")

	b.WriteString("<table><tr><th>run</th><th>copy</th><th>ended</th><th>processed</th><th>commits</th><th>failed commits</th><th>seconds</th></tr>\n")
	for _, r := range t.Runs {
		fmt.Fprintf(&b, "<tr><td>%d</td><td>%d</td><td>%s</td><td>%d</td><td>%d</td><td>%d</td><td>%.2f</td></tr>\n",
			r.N, r.Instance, esc(r.How), r.Processed, r.Commits, r.Failed, float64(r.End-r.Start)/1e6)
	}
	b.WriteString("</table>\n<p>Settings of each run:</p>\n<ol>\n")
	for _, r := range t.Runs {
		fmt.Fprintf(&b, "<li><code>%s %s</code></li>\n", esc(r.Strategy), esc(r.Settings))
	}
	b.WriteString("</ol>\n")
	if t.Unconfirmed > 0 {
		fmt.Fprintf(&b, "<p>%d processed event(s) are not drawn: the processed log does not have them (the process was killed between the two writes).</p>\n", t.Unconfirmed)
	}
	if t.Unplaced > 0 {
		fmt.Fprintf(&b, "<p>%d processed-log line(s) have no event and are not drawn (was the events log cleared on its own?).</p>\n", t.Unplaced)
	}
	b.WriteString(`<p>A killed run ends without a word: its line is drawn at its last event. A "commit failed" triangle is one failed try; kgo's own retries inside a commit call count too.</p>
</div></div></body></html>
`)
	return b.String()
}

func orNone(s string) string {
	if s == "" {
		return "none"
	}
	return s
}
