package e2e

import (
	"encoding/xml"
	"fmt"
	"image"
	"image/png"
	"math"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"offsetlab/internal/events"
	"offsetlab/internal/tally"
	"offsetlab/internal/timeline"
)

// svgElem is one drawn element the tests look at, by its data attributes.
type svgElem struct {
	class            string
	partition, value int64 // data-partition; data-offset (marks, lost) or data-final (committed)
}

// parseSVG reads the timeline back: every mark, lost cross and committed
// line, with the partition and offset it carries.
func parseSVG(t *testing.T, path string) (marks, again, lost, committed []svgElem, height int) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	d := xml.NewDecoder(f)
	for {
		tok, err := d.Token()
		if err != nil {
			break
		}
		se, ok := tok.(xml.StartElement)
		if !ok {
			continue
		}
		attr := map[string]string{}
		for _, a := range se.Attr {
			attr[a.Name.Local] = a.Value
		}
		if se.Name.Local == "svg" {
			height, _ = strconv.Atoi(attr["height"])
		}
		p, _ := strconv.ParseInt(attr["data-partition"], 10, 64)
		o, _ := strconv.ParseInt(attr["data-offset"], 10, 64)
		switch attr["class"] {
		case "mark":
			marks = append(marks, svgElem{"mark", p, o})
		case "mark again":
			marks = append(marks, svgElem{"mark", p, o})
			again = append(again, svgElem{"again", p, o})
		case "lost":
			lost = append(lost, svgElem{"lost", p, o})
		case "committed":
			final, _ := strconv.ParseInt(attr["data-final"], 10, 64)
			committed = append(committed, svgElem{"committed", p, final})
		}
	}
	return marks, again, lost, committed, height
}

// structure is what a timeline shows, without the times: which offsets were
// processed, how many marks repeat, which were lost, where each committed
// line ends, how many runs started and crashed.
type structure struct {
	lanes, again, starts, crashes int
	processed, lost, committed    string
}

func svgStructure(t *testing.T, path string) structure {
	t.Helper()
	marks, again, lost, committed, _ := parseSVG(t, path)
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	distinct := multiset(marks)
	for k := range distinct {
		distinct[k] = 1
	}
	return structure{
		lanes: len(committed), again: len(again),
		starts:    strings.Count(string(b), `class="marker start"`),
		crashes:   strings.Count(string(b), `class="marker crash"`),
		processed: fmt.Sprint(distinct), lost: fmt.Sprint(multiset(lost)), committed: fmt.Sprint(multiset(committed)),
	}
}

func multiset(es []svgElem) map[string]int {
	m := map[string]int{}
	for _, e := range es {
		m[fmt.Sprintf("p%d@%d", e.partition, e.value)]++
	}
	return m
}

// drawTimeline runs the timeline binary on a lab's logs.
func drawTimeline(l *lab, log, evs string) string {
	l.t.Helper()
	out := l.path("timeline.svg")
	p := l.run(0, "timeline", "LOG="+log, "EVENTS="+evs, "OUT="+out)
	if !strings.Contains(p.output(), "wrote "+out+" and "+strings.TrimSuffix(out, ".svg")+".html") {
		l.t.Fatalf("timeline said:\n%s", p.output())
	}
	return out
}

// The timeline as data: the SVG carries one mark per processed-log line, at
// its partition and offset; the repeated ones are marked as such; the lost
// crosses are exactly the offsets the count reports lost; each lane's
// committed line ends at the group's committed offset.
func TestTimelineCarriesTheRunsData(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name, bin string
		first     []string
		dups      int
		lost      int
	}{
		{"lesson crash, manual-sync", "manual-sync", []string{"CRASH=10"}, 5, 0},
		{"loss recipe, greedy auto-commit", "auto-commit", []string{"CRASH=20", "GREEDY=1", "MAX_POLL_RECORDS=0", "WORK_DELAY=200ms"}, 0, 10},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			l := newLab(t)
			l.seed(30)
			log, evs := l.path("p.log"), l.path("e.jsonl")
			l.run(1, tc.bin, append([]string{"LOG=" + log, "EVENTS=" + evs}, tc.first...)...)
			l.run(0, tc.bin, "LOG="+log, "EVENTS="+evs, "IDLE_EXIT=1s", "WORK_DELAY=10ms")
			svg := drawTimeline(l, log, evs)
			marks, again, lost, committed, _ := parseSVG(t, svg)

			entries := l.readLog(log)
			want := map[string]int{}
			for _, e := range entries {
				want[fmt.Sprintf("p%d@%d", e.Partition, e.Offset)]++
			}
			if got := multiset(marks); fmt.Sprint(got) != fmt.Sprint(want) {
				t.Errorf("marks in the SVG %v\nprocessed log     %v", got, want)
			}
			count := tally.Count(entries, l.ranges())
			if len(again) != count.Duplicates || count.Duplicates != tc.dups {
				t.Errorf("%d marks drawn as repeated, the count says %d duplicates, the recipe %d", len(again), count.Duplicates, tc.dups)
			}
			var wantLost []svgElem
			for _, p := range count.Partitions {
				for _, o := range p.Lost {
					wantLost = append(wantLost, svgElem{"lost", int64(p.ID), o})
				}
			}
			if fmt.Sprint(multiset(lost)) != fmt.Sprint(multiset(wantLost)) || len(lost) != tc.lost {
				t.Errorf("lost crosses %v, the count's lost offsets %v, the recipe %d", multiset(lost), multiset(wantLost), tc.lost)
			}
			group := l.committed()
			if len(committed) != 3 {
				t.Fatalf("%d committed lines, want one per partition", len(committed))
			}
			for _, c := range committed {
				if group[int32(c.partition)] != c.value {
					t.Errorf("p%d's committed line ends at %d, the group has %d", c.partition, c.value, group[int32(c.partition)])
				}
			}
			page, err := os.ReadFile(strings.TrimSuffix(svg, ".svg") + ".html")
			if err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(string(page), count.Headline(log)) || !strings.Contains(string(page), "<svg") {
				t.Errorf("the page lacks the picture or the count line %q", count.Headline(log))
			}
		})
	}
}

// chromium finds a headless browser; in CI (LAB_TEST_CHROMIUM=1) a missing
// one is a failure.
func chromium(t *testing.T) string {
	t.Helper()
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	if os.Getenv("LAB_TEST_CHROMIUM") == "1" {
		t.Fatal("LAB_TEST_CHROMIUM=1 but no chromium is installed (Debian: apt-get install chromium)")
	}
	t.Skip("no chromium to render the picture with (Debian: apt-get install chromium; LAB_TEST_CHROMIUM=1 makes this a failure)")
	return ""
}

// render draws an SVG file in headless Chromium and returns the picture.
func render(t *testing.T, svg string, height int) image.Image {
	t.Helper()
	out := filepath.Join(t.TempDir(), "shot.png")
	cmd := exec.Command(chromium(t), "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
		"--screenshot="+out, fmt.Sprintf("--window-size=1600,%d", height), "file://"+svg)
	cmd.Env = append(os.Environ(), "HOME="+t.TempDir())
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("chromium: %v\n%s", err, b)
	}
	f, err := os.Open(out)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		t.Fatal(err)
	}
	return img
}

func rgb(hex string) [3]float64 {
	v, _ := strconv.ParseUint(strings.TrimPrefix(hex, "#"), 16, 32)
	return [3]float64{float64(v >> 16 & 0xff), float64(v >> 8 & 0xff), float64(v & 0xff)}
}

// pixels counts the pixels within a small distance of a colour, in the
// rectangle r.
func pixels(img image.Image, hex string, r image.Rectangle) int {
	c := rgb(hex)
	n := 0
	b := img.Bounds().Intersect(r)
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			r, g, bl, _ := img.At(x, y).RGBA()
			d := math.Sqrt(math.Pow(float64(r>>8)-c[0], 2) + math.Pow(float64(g>>8)-c[1], 2) + math.Pow(float64(bl>>8)-c[2], 2))
			if d < 14 {
				n++
			}
		}
	}
	return n
}

// lanesAt counts the lanes a vertical line through the picture crosses: runs
// of the lane colour, bridging what is drawn over a lane (a line, a mark),
// separated by the white space between lanes.
func lanesAt(img image.Image, x int) int {
	lane := rgb(timeline.ColorLane)
	n, first, last := 0, -1, -100
	flush := func() {
		if first >= 0 && last-first >= 100 {
			n++
		}
	}
	for y := img.Bounds().Min.Y; y < img.Bounds().Max.Y; y++ {
		r, g, b, _ := img.At(x, y).RGBA()
		if math.Abs(float64(r>>8)-lane[0])+math.Abs(float64(g>>8)-lane[1])+math.Abs(float64(b>>8)-lane[2]) >= 10 {
			continue
		}
		if y-last > 15 {
			flush()
			first = y
		}
		last = y
	}
	flush()
	return n
}

// The timeline as a picture: rendered by a real browser, it shows three
// lanes, a blue mark per record processed once, an orange one per record
// processed again, red crosses for offsets never processed, and the purple
// committed line across each lane.
func TestTimelineRendersAsAPicture(t *testing.T) {
	t.Parallel()
	l := newLab(t)
	l.seed(30)
	log, evs := l.path("p.log"), l.path("e.jsonl")
	// The lesson's crash (10 processed, nothing committed), then the loss
	// recipe: the same 10 again, a tick that commits the whole poll, a crash
	// that leaves the rest committed but never processed.
	l.run(1, "auto-commit", "LOG="+log, "EVENTS="+evs, "CRASH=10")
	l.run(1, "auto-commit", "LOG="+log, "EVENTS="+evs, "CRASH=15", "GREEDY=1", "COMMIT_EVERY=1s", "MAX_POLL_RECORDS=0", "WORK_DELAY=200ms")
	l.run(0, "auto-commit", "LOG="+log, "EVENTS="+evs, "IDLE_EXIT=1s", "WORK_DELAY=10ms")
	svg := drawTimeline(l, log, evs)
	marks, again, lost, _, height := parseSVG(t, svg)
	if len(again) == 0 || len(lost) == 0 {
		t.Fatalf("the recipe should repeat and lose records: %d repeated, %d lost", len(again), len(lost))
	}
	img := render(t, svg, height)

	if n := lanesAt(img, 1300); n != 3 {
		t.Errorf("a vertical line crosses %d lanes, want 3", n)
	}
	first := len(marks) - len(again)
	// The lanes (the legend and the captions below them left out), and the
	// column right of them where the offsets never processed are crossed.
	plot := image.Rect(120, 0, 1370, height-190)
	lostColumn := image.Rect(1540, 0, 1600, height-190)
	checks := []struct {
		what  string
		color string
		where image.Rectangle
		least int
	}{
		{"marks of records processed once", timeline.ColorFirst, plot, 25 * first},
		{"marks of records processed again", timeline.ColorAgain, plot, 25 * len(again)},
		{"crosses of offsets never processed", timeline.ColorLost, lostColumn, 12 * len(lost)},
		{"committed lines (5 px across most of each lane)", timeline.ColorCommitted, plot, 3 * 1000 * 3},
	}
	for _, c := range checks {
		if n := pixels(img, c.color, c.where); n < c.least {
			t.Errorf("%s: %d pixels of %s, want at least %d", c.what, n, c.color, c.least)
		} else {
			t.Logf("%s: %d pixels of %s (at least %d)", c.what, n, c.color, c.least)
		}
	}
	// The page with the numbers renders too (the picture inside it).
	page := strings.TrimSuffix(svg, ".svg") + ".html"
	if n := pixels(render(t, page, 1100), timeline.ColorCommitted, image.Rect(0, 0, 1600, 1100)); n < 3000 {
		t.Errorf("the page shows %d committed-line pixels: is the picture in it?", n)
	}
}

// The events log is appended like the processed log: SIGKILLs at random
// moments leave only whole lines, every processed-log line has its event,
// and an event the log does not confirm (a kill between the two writes) is
// left out of the picture.
func TestEventsLogSurvivesSIGKILL(t *testing.T) {
	t.Parallel()
	for _, bin := range strategies {
		t.Run(bin, func(t *testing.T) {
			l := newLab(t)
			l.seed(300)
			log, evs := l.path("p.log"), l.path("e.jsonl")
			for k := 0; k < 5; k++ {
				p := l.start(bin, "LOG="+log, "EVENTS="+evs, "WORK_DELAY=5ms")
				p.waitFor("first record", 30*time.Second)
				time.Sleep(time.Duration(20+rand.IntN(200)) * time.Millisecond)
				p.signal(syscall.SIGKILL)
				p.wait(30 * time.Second)
			}
			l.run(0, bin, "LOG="+log, "EVENTS="+evs, "WORK_DELAY=1ms", "IDLE_EXIT=1s")
			es, err := events.ReadFile(evs)
			if err != nil {
				t.Fatalf("the events log has a torn line: %v", err)
			}
			runs := map[string]bool{}
			for _, e := range es {
				runs[e.Run] = true
			}
			if len(runs) != 6 {
				t.Errorf("%d runs in the events log, want 6", len(runs))
			}
			tl, err := timeline.FromFiles("t", evs, log, l.ranges())
			if err != nil {
				t.Fatal(err)
			}
			if tl.Unplaced != 0 {
				t.Errorf("%d processed-log lines have no event", tl.Unplaced)
			}
			drawn := 0
			for _, lane := range tl.Lanes {
				drawn += len(lane.Marks)
			}
			if n := len(l.readLog(log)); drawn != n {
				t.Errorf("%d marks for %d processed-log lines", drawn, n)
			}
			killed := 0
			for _, r := range tl.Runs {
				if r.How == "killed" {
					killed++
				}
			}
			if killed != 5 || tl.Runs[5].How != "clean" {
				t.Errorf("runs ended %v, want 5 killed and a clean one", runHows(tl))
			}
			t.Logf("%d events, %d processed, %d unconfirmed events left out", len(es), drawn, tl.Unconfirmed)
		})
	}
}

func runHows(t *timeline.Timeline) []string {
	var out []string
	for _, r := range t.Runs {
		out = append(out, r.How)
	}
	return out
}

// Without a broker the timeline is drawn all the same, and says what it
// could not know; a missing events log is named.
func TestTimelineWithoutBrokerOrEvents(t *testing.T) {
	t.Parallel()
	l := newLab(t)
	l.seed(10)
	log, evs := l.path("p.log"), l.path("e.jsonl")
	l.run(0, "manual-sync", "LOG="+log, "EVENTS="+evs, "IDLE_EXIT=1s", "WORK_DELAY=0")
	dead := fmt.Sprintf("127.0.0.1:%d", freePort())
	p := l.run(0, "timeline", "LOG="+log, "EVENTS="+evs, "OUT="+l.path("t.svg"), "BROKERS="+dead)
	if !strings.Contains(p.output(), "lost=?") || !strings.Contains(p.output(), "no Kafka broker answered at "+dead) {
		t.Errorf("timeline without a broker said:\n%s", p.output())
	}
	p = l.run(2, "timeline", "LOG="+log, "EVENTS="+l.path("none.jsonl"), "OUT="+l.path("t2.svg"))
	if !regexp.MustCompile(`EVENTS=\S+none.jsonl does not exist`).MatchString(p.output()) {
		t.Errorf("a missing events log: %s", p.output())
	}
	if _, err := os.Stat(l.path("t2.svg")); err == nil {
		t.Error("a refused timeline wrote a picture")
	}
}
