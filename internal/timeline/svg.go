package timeline

import (
	"encoding/xml"
	"fmt"
	"math"
	"sort"
	"strings"
)

// Colours, shared with the tests that look at the rendered picture.
const (
	ColorFirst     = "#1f77b4" // a record processed for the first time
	ColorAgain     = "#ff7f0e" // processed again: a duplicate
	ColorLost      = "#d62728" // never processed; also crashes and kills
	ColorCommitted = "#6a3d9a" // the group's committed offset
	ColorLane      = "#eef1f5"
	ColorRebalance = "#8c564b"
	ColorFailed    = "#e377c2"
	ColorRun       = "#555555"
)

// Layout, in pixels: wide and with big type, for a projector.
const (
	width     = 1600
	left      = 120
	right     = 230 // the committed offsets' labels and the lost column
	top       = 215
	laneGap   = 26
	maxGapUS  = 1_500_000 // a quiet stretch longer than this is drawn shorter
	shownGap  = 500_000
	markerRow = 22
)

// clock maps event times to x, squeezing long quiet stretches (a consumer
// idling before IDLE_EXIT, the pause between a crash and a restart) so that
// the runs fill the picture; each squeezed stretch is marked and labelled.
type clock struct {
	ts     []int64   // event times, ascending, distinct
	ds     []float64 // display time at each
	breaks []gap
	scale  float64 // px per display µs
	x0     float64
}

type gap struct {
	from, to int64   // the event times it lies between, µs
	at       float64 // display time of its middle
}

func newClock(t *Timeline, times []int64) *clock {
	// A stretch in which a run waited for its broker is the story, not a
	// pause: it is never squeezed.
	waiting := func(from, to int64) bool {
		for _, o := range t.Outages {
			if o.Start < to && o.End > from {
				return true
			}
		}
		return false
	}
	sort.Slice(times, func(i, j int) bool { return times[i] < times[j] })
	c := &clock{x0: left}
	for _, v := range times {
		if n := len(c.ts); n > 0 && c.ts[n-1] == v {
			continue
		}
		c.ts = append(c.ts, v)
	}
	c.ds = make([]float64, len(c.ts))
	for i := 1; i < len(c.ts); i++ {
		g := c.ts[i] - c.ts[i-1]
		if g > maxGapUS && !waiting(c.ts[i-1], c.ts[i]) {
			c.ds[i] = c.ds[i-1] + shownGap
			c.breaks = append(c.breaks, gap{from: c.ts[i-1], to: c.ts[i], at: c.ds[i-1] + shownGap/2})
		} else {
			c.ds[i] = c.ds[i-1] + float64(g)
		}
	}
	total := c.ds[len(c.ds)-1]
	if total == 0 {
		total = 1
	}
	c.scale = float64(width-left-right) / total
	return c
}

func (c *clock) display(t int64) float64 {
	i := sort.Search(len(c.ts), func(i int) bool { return c.ts[i] >= t })
	switch {
	case i == 0:
		return c.ds[0]
	case i == len(c.ts):
		return c.ds[len(c.ds)-1]
	case c.ts[i] == t:
		return c.ds[i]
	}
	f := float64(t-c.ts[i-1]) / float64(c.ts[i]-c.ts[i-1])
	return c.ds[i-1] + f*(c.ds[i]-c.ds[i-1])
}

func (c *clock) x(t int64) float64 { return c.x0 + c.display(t)*c.scale }

// squeezed says whether t lies inside a squeezed stretch.
func (c *clock) squeezed(t int64) bool {
	for _, g := range c.breaks {
		if g.from < t && t < g.to {
			return true
		}
	}
	return false
}

// SVG draws the timeline.
func (t *Timeline) SVG() string {
	var times []int64
	for _, m := range t.Markers {
		times = append(times, m.Time)
	}
	for _, o := range t.Outages {
		times = append(times, o.Start, o.End)
	}
	for _, l := range t.Lanes {
		for _, m := range l.Marks {
			times = append(times, m.Time)
		}
		for _, s := range l.Steps {
			times = append(times, s.Time)
		}
	}
	times = append(times, t.Start, t.End)
	c := newClock(t, times)

	laneH := 210
	if n := len(t.Lanes); n > 3 {
		laneH = max(110, 630/n)
	}
	lanesBottom := top + len(t.Lanes)*(laneH+laneGap) - laneGap
	height := lanesBottom + 190
	plotR := float64(width - right)

	var b strings.Builder
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" viewBox="0 0 %d %d" font-family="DejaVu Sans, Helvetica, Arial, sans-serif">`+"\n",
		width, height, width, height)
	fmt.Fprintf(&b, "<title>%s</title>\n", esc(t.Title))
	fmt.Fprintf(&b, `<rect width="%d" height="%d" fill="#ffffff"/>`+"\n", width, height)
	fmt.Fprintf(&b, `<text x="%d" y="44" font-size="32" font-weight="bold" fill="#111">%s</text>`+"\n", left, esc(t.Title))
	fmt.Fprintf(&b, `<text x="%d" y="80" font-size="21" fill="#333">%s</text>`+"\n", left, esc(t.subtitle()))

	// Squeezed stretches: a hatched band over the lanes, and how long it was.
	for _, g := range c.breaks {
		x := c.x0 + g.at*c.scale
		fmt.Fprintf(&b, `<g class="squeezed"><rect x="%.1f" y="%d" width="10" height="%d" fill="#ffffff"/>`+
			`<text x="%.1f" y="%d" font-size="15" fill="#666" text-anchor="middle">+%.1fs</text></g>`+"\n",
			x-5, top-8, lanesBottom-top+16, x, lanesBottom+78, float64(g.to-g.from)/1e6)
	}

	for i, l := range t.Lanes {
		y0 := top + i*(laneH+laneGap)
		t.lane(&b, c, l, y0, laneH, plotR)
	}
	// While a run could not reach its broker: a tinted band over the lanes.
	for _, o := range t.Outages {
		x0, x1 := c.x(o.Start), c.x(o.End)
		fmt.Fprintf(&b, `<g class="outage" data-run="%d"><title>run %d could not reach the broker for %.1fs</title>`+
			`<rect x="%.1f" y="%d" width="%.1f" height="%d" fill="%s" fill-opacity="0.13"/>`+
			`<text x="%.1f" y="%d" font-size="16" fill="%s" font-weight="bold">broker unreachable (run %d)</text></g>`+"\n",
			o.Run, o.Run, float64(o.End-o.Start)/1e6, x0, top, math.Max(x1-x0, 2), lanesBottom-top, ColorLost, x0+4, top+18, ColorLost, o.Run)
	}
	// Squeeze marks drawn over the lanes.
	for _, g := range c.breaks {
		x := c.x0 + g.at*c.scale
		fmt.Fprintf(&b, `<path d="M%.1f %d l-6 6 l12 6 l-12 6 l6 6" stroke="#888" stroke-width="2" fill="none"/>`+"\n", x, lanesBottom+6)
	}

	t.markers(&b, c, lanesBottom)
	t.axis(&b, c, lanesBottom)
	t.legend(&b, lanesBottom+100)
	fmt.Fprintf(&b, `<text class="caption" x="%d" y="%d" font-size="22" font-family="DejaVu Sans Mono, Menlo, monospace" fill="#111">%s</text>`+"\n",
		left, lanesBottom+160, esc(t.Headline))
	b.WriteString("</svg>\n")
	return b.String()
}

func (t *Timeline) subtitle() string {
	crashes, kills := 0, 0
	for _, r := range t.Runs {
		switch r.How {
		case "crash":
			crashes++
		case "killed":
			kills++
		}
	}
	s := fmt.Sprintf("%d run(s)", len(t.Runs))
	if crashes > 0 {
		s += fmt.Sprintf(", %d crash(es)", crashes)
	}
	if kills > 0 {
		s += fmt.Sprintf(", %d killed", kills)
	}
	return s + fmt.Sprintf(", %.1fs. Below the purple line is committed; orange was processed again; red × was never processed.",
		float64(t.End-t.Start)/1e6)
}

func (t *Timeline) lane(b *strings.Builder, c *clock, l Lane, y0, h int, plotR float64) {
	pad := 14.0
	span := float64(l.Hi - l.Lo + 1)
	// y of offset o's centre; offsets grow upwards.
	y := func(o float64) float64 {
		return float64(y0) + pad + (float64(h)-2*pad)*(1-(o-float64(l.Lo)+0.5)/span)
	}
	fmt.Fprintf(b, `<g class="lane" data-partition="%d">`+"\n", l.Partition)
	fmt.Fprintf(b, `<rect class="lane-bg" x="%d" y="%d" width="%.0f" height="%d" fill="%s" stroke="#c8ced6"/>`+"\n",
		left, y0, plotR-left, h, ColorLane)
	fmt.Fprintf(b, `<text x="%d" y="%d" font-size="30" font-weight="bold" fill="#111" text-anchor="end">p%d</text>`+"\n",
		left-44, y0+h/2+10, l.Partition)
	for _, o := range offsetTicks(l.Lo, l.Hi) {
		fmt.Fprintf(b, `<text x="%d" y="%.1f" font-size="15" fill="#555" text-anchor="end">%d</text>`+"\n", left-8, y(float64(o))+5, o)
	}

	// The committed offset: everything below the line is committed.
	if len(l.Steps) > 0 || len(l.Marks) > 0 {
		cy := func(off int64) float64 { return y(math.Max(float64(off)-0.5, float64(l.Lo)-0.5)) }
		cur := l.Lo
		x := float64(left)
		d := fmt.Sprintf("M%.1f %.1f", x, cy(cur))
		var back []string
		for _, s := range l.Steps {
			sx := c.x(s.Time)
			d += fmt.Sprintf(" H%.1f V%.1f", sx, cy(s.Offset))
			if s.Offset < cur && s.Cause != "at start" {
				// A commit below the committed offset: the next run repeats
				// what lies between. Said on the picture.
				back = append(back, fmt.Sprintf(`<text class="backwards" x="%.1f" y="%.1f" font-size="16" font-weight="bold" fill="%s">moved back %d→%d</text>`,
					sx+6, cy(s.Offset)-8, ColorLost, cur, s.Offset))
			}
			cur = s.Offset
		}
		d += fmt.Sprintf(" H%.1f", plotR)
		fmt.Fprintf(b, `<path class="committed" data-partition="%d" data-final="%d" d="%s" stroke="%s" stroke-width="5" fill="none" stroke-linejoin="round"/>`+"\n",
			l.Partition, cur, d, ColorCommitted)
		fmt.Fprintf(b, `<text x="%.1f" y="%.1f" font-size="17" fill="%s" font-weight="bold">committed %d</text>`+"\n",
			plotR+8, cy(cur)+6, ColorCommitted, cur)
		for _, t := range back {
			b.WriteString(t + "\n")
		}
	}

	for _, m := range l.Marks {
		x, my := c.x(m.Time), y(float64(m.Offset))
		title := fmt.Sprintf("p%d@%d, run %d, %.2fs", l.Partition, m.Offset, m.Run, float64(m.Time-t.Start)/1e6)
		if m.Again {
			fmt.Fprintf(b, `<path class="mark again" data-partition="%d" data-offset="%d" data-run="%d" d="M%.1f %.1f l7 7 l-7 7 l-7 -7 z" fill="%s" stroke="#a04a00" stroke-width="1"><title>%s, processed again</title></path>`+"\n",
				l.Partition, m.Offset, m.Run, x, my-7, ColorAgain, esc(title))
		} else {
			fmt.Fprintf(b, `<circle class="mark" data-partition="%d" data-offset="%d" data-run="%d" cx="%.1f" cy="%.1f" r="5.5" fill="%s"><title>%s</title></circle>`+"\n",
				l.Partition, m.Offset, m.Run, x, my, ColorFirst, esc(title))
		}
	}
	for _, o := range l.Lost {
		x, ly := float64(width-34), y(float64(o))
		fmt.Fprintf(b, `<g class="lost" data-partition="%d" data-offset="%d"><title>p%d@%d was never processed</title><path d="M%.1f %.1f l10 10 m0 -10 l-10 10" stroke="%s" stroke-width="3.5"/></g>`+"\n",
			l.Partition, o, l.Partition, o, x-5, ly-5, ColorLost)
	}
	if len(l.Lost) > 0 {
		fmt.Fprintf(b, `<text x="%d" y="%d" font-size="15" fill="%s" text-anchor="end">never processed ×</text>`+"\n", width-8, y0+h+17, ColorLost)
	}
	b.WriteString("</g>\n")
}

func offsetTicks(lo, hi int64) []int64 {
	step := int64(1)
	for _, s := range []int64{1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10000, 100000, 1000000} {
		step = s
		if (hi-lo)/s <= 5 {
			break
		}
	}
	out := []int64{lo}
	for o := (lo/step + 1) * step; o <= hi; o += step {
		if o-out[len(out)-1] >= step/2+1 || step == 1 {
			out = append(out, o)
		}
	}
	return out
}

// labelRows is how many rows of marker labels fit above the lanes.
const labelRows = 4

func (t *Timeline) markers(b *strings.Builder, c *clock, bottom int) {
	// Each row remembers where its last label ends; a label goes into the
	// first row where it does not overlap, or, if none has room, is left to
	// the line's tooltip.
	var ends [labelRows]float64
	for i := range ends {
		ends[i] = -1e9
	}
	for _, m := range t.Markers {
		x := c.x(m.Time)
		switch m.Kind {
		case MarkFailed:
			fmt.Fprintf(b, `<path class="marker failed" d="M%.1f %d l-7 -12 h14 z" fill="%s"><title>%s</title></path>`+"\n", x, top-4, ColorFailed, esc(m.Label))
			continue
		}
		color, dash, w := ColorRun, "6 5", 2.5
		switch m.Kind {
		case MarkCrash, MarkKilled:
			color, dash, w = ColorLost, "", 4
		case MarkStop:
			dash = ""
		case MarkRebalance:
			color, dash, w = ColorRebalance, "2 5", 2.5
		}
		// Labels read to the right of their line, or to the left near the end.
		w16 := 9.2 * float64(len([]rune(m.Label)))
		tx, anchor, from, to := x+4, "start", x+4, x+4+w16
		if x > float64(width-right)-260 {
			tx, anchor, from, to = x-4, "end", x-4-w16, x-4
		}
		row := -1
		for i := range ends {
			if from > ends[i]+8 {
				row = i
				break
			}
		}
		ly := top - 26 - max(row, 0)*markerRow
		if row >= 0 {
			ends[row] = to
		}
		dashAttr := ""
		if dash != "" {
			dashAttr = fmt.Sprintf(` stroke-dasharray="%s"`, dash)
		}
		fmt.Fprintf(b, `<g class="marker %s" data-run="%d"><title>%s</title><line x1="%.1f" y1="%d" x2="%.1f" y2="%d" stroke="%s" stroke-width="%.1f"%s/>`,
			m.Kind, m.Run, esc(m.Label), x, ly+4, x, bottom, color, w, dashAttr)
		if row >= 0 {
			fmt.Fprintf(b, `<text x="%.1f" y="%d" font-size="16" fill="%s" font-weight="bold" text-anchor="%s">%s</text>`, tx, ly, color, anchor, esc(m.Label))
		}
		b.WriteString("</g>\n")
	}
}

func (t *Timeline) axis(b *strings.Builder, c *clock, bottom int) {
	y := bottom + 30
	fmt.Fprintf(b, `<line x1="%d" y1="%d" x2="%d" y2="%d" stroke="#333" stroke-width="1.5"/>`+"\n", left, y, width-right, y)
	total := float64(t.End-t.Start) / 1e6
	step := niceStep(float64(width-left-right) / c.scale / 1e6 / 10)
	for s := 0.0; s <= total+1e-9; s += step {
		tm := t.Start + int64(s*1e6)
		if c.squeezed(tm) {
			continue
		}
		x := c.x(tm)
		fmt.Fprintf(b, `<line x1="%.1f" y1="%d" x2="%.1f" y2="%d" stroke="#333"/><text x="%.1f" y="%d" font-size="15" fill="#333" text-anchor="middle">%gs</text>`+"\n",
			x, y, x, y+6, x, y+24, math.Round(s*10)/10)
	}
	fmt.Fprintf(b, `<text x="%d" y="%d" font-size="15" fill="#333">seconds</text>`+"\n", width-right+8, y+5)
}

func niceStep(raw float64) float64 {
	for _, s := range []float64{0.1, 0.2, 0.5, 1, 2, 5, 10, 20, 30, 60, 120, 300, 600} {
		if s >= raw {
			return s
		}
	}
	return 1200
}

func (t *Timeline) legend(b *strings.Builder, y int) {
	x := float64(left)
	item := func(symbol, label string) {
		fmt.Fprintf(b, `<g transform="translate(%.0f %d)">%s<text x="22" y="6" font-size="18" fill="#111">%s</text></g>`+"\n", x, y, symbol, esc(label))
		x += 44 + float64(len([]rune(label)))*10
	}
	b.WriteString(`<g class="legend">` + "\n")
	item(fmt.Sprintf(`<circle cx="6" cy="0" r="6" fill="%s"/>`, ColorFirst), "processed")
	item(fmt.Sprintf(`<path d="M6 -8 l8 8 l-8 8 l-8 -8 z" fill="%s"/>`, ColorAgain), "processed again (duplicate)")
	item(fmt.Sprintf(`<path d="M0 -6 l12 12 m0 -12 l-12 12" stroke="%s" stroke-width="3.5"/>`, ColorLost), "never processed (lost)")
	item(fmt.Sprintf(`<line x1="-4" y1="0" x2="16" y2="0" stroke="%s" stroke-width="5"/>`, ColorCommitted), "committed offset")
	item(fmt.Sprintf(`<line x1="6" y1="-10" x2="6" y2="10" stroke="%s" stroke-width="4"/>`, ColorLost), "crash / kill")
	item(fmt.Sprintf(`<line x1="6" y1="-10" x2="6" y2="10" stroke="%s" stroke-width="2.5" stroke-dasharray="2 4"/>`, ColorRebalance), "rebalance")
	item(fmt.Sprintf(`<path d="M6 6 l-7 -12 h14 z" fill="%s"/>`, ColorFailed), "commit failed")
	if len(t.Outages) > 0 {
		item(fmt.Sprintf(`<rect x="-2" y="-9" width="16" height="18" fill="%s" fill-opacity="0.13"/>`, ColorLost), "broker unreachable")
	}
	b.WriteString("</g>\n")
}

func esc(s string) string {
	var b strings.Builder
	_ = xml.EscapeText(&b, []byte(s))
	return b.String()
}
