package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	labproc "offsetlab/internal/proc"
)

var liveLink = regexp.MustCompile(`live: (instructor|viewer) \((?:acts|watches)\): +(http://\S+)`)

// make live, in a real browser: the lesson's crash recipe played from the
// page's controls (manual-sync, CRASH=10, then a run to the end), the counts
// read from the page (35 / 30 / 5 / 0) and its committed offsets equal to
// the broker's; a second browser sees the same; requests without the token,
// with the viewer's token or from a foreign origin start nothing; Ctrl+C
// leaves no process behind (nor, on the embedded broker, its broker).
func TestLivePageDrivesTheCrashRecipe(t *testing.T) {
	t.Parallel()
	browser := chromium(t)
	dir := t.TempDir()
	topic := fmt.Sprintf("t-live-%d", labSeq.Add(1))
	env := cleanEnv("TOPIC="+topic, "DATABASE_URL=sqlite:"+filepath.Join(dir, "kitchen.db"))
	if !onEmbedded() {
		env = append(env, "BROKERS="+brokers)
	}
	p, err := labproc.Start(labproc.Cmd{Path: filepath.Join(binDir, "live"), Env: env, Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	defer func() { // a failed test still stops make live as Ctrl+C would
		p.Signal(syscall.SIGINT)
		if _, err := p.Wait(context.Background(), 30*time.Second); err != nil {
			p.Kill()
		}
	}()
	ctx := context.Background()
	if _, ok := p.WaitFor(ctx, 60*time.Second, "live: Ctrl+C stops"); !ok {
		t.Fatalf("make live did not print its links:\n%s", p.Output())
	}
	links := map[string]string{}
	for _, m := range liveLink.FindAllStringSubmatch(p.Output(), -1) {
		links[m[1]] = m[2]
	}
	instructor, viewer := links["instructor"], links["viewer"]
	if instructor == "" || viewer == "" || instructor == viewer {
		t.Fatalf("want two different links:\n%s", p.Output())
	}
	u, _ := url.Parse(instructor)
	origin := "http://" + u.Host

	alloc, cancel := chromedp.NewExecAllocator(ctx, append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(browser), chromedp.NoSandbox, chromedp.Headless)...)
	defer cancel()
	page, cancel := chromedp.NewContext(alloc)
	defer cancel()
	text := func(c context.Context, sel string) string {
		s, err := chromedp.Run(c, chromedp.Evaluate[string](`(document.querySelector(`+jsString(sel)+`)||{}).textContent||""`))
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	waitText := func(c context.Context, sel, want string) {
		t.Helper()
		js := `((document.querySelector(` + jsString(sel) + `)||{}).textContent||"").includes(` + jsString(want) + `)`
		if _, err := chromedp.Run(c, chromedp.Poll[bool](js, chromedp.WithPollingTimeout(90*time.Second))); err != nil {
			t.Fatalf("the page never showed %q in %s (it shows %q): %v\n%s", want, sel, text(c, sel), err, p.Output())
		}
	}

	// The crash run, from the controls (manual-sync is the form's first choice).
	if err := chromedp.Do(page, chromedp.Navigate(instructor), chromedp.WaitVisible("#start-btn"),
		chromedp.SendKeys("#CRASH", "10"), chromedp.Click("#start-btn")); err != nil {
		t.Fatal(err)
	}
	waitText(page, "#log", "$ make run-sync CRASH=10")
	waitText(page, "#markers-manual-sync", "run 1: crash")
	waitText(page, "#run-1", "exit 1 (crash)")
	// The restart, to the end (IDLE_EXIT=5s, as under make).
	if _, err := chromedp.Run(page, chromedp.Evaluate[string](`document.getElementById("CRASH").value = ""`)); err != nil {
		t.Fatal(err)
	}
	if err := chromedp.Do(page, chromedp.Click("#start-btn")); err != nil {
		t.Fatal(err)
	}
	waitText(page, "#run-2", "exit 0")
	waitText(page, "#count-manual-sync", "processed 35 · unique 30 · duplicates 5 · lost 0")
	l := newLab(t)
	l.topic, l.group = topic, "kitchen-sync"
	if onEmbedded() {
		l.brokers = regexp.MustCompile(`embedded broker on (\S+)`).FindStringSubmatch(p.Output())[1]
	}
	want := "committed p0→10 p1→10 p2→10 · lag 0"
	if c := l.committed(); len(c) != 3 || c[0] != 10 || c[1] != 10 || c[2] != 10 {
		t.Fatalf("the broker has %v committed for kitchen-sync", c)
	}
	waitText(page, "#committed-manual-sync", want)

	// A second browser, with the viewer's link, sees the same.
	other, cancel := chromedp.NewContext(alloc)
	defer cancel()
	if err := chromedp.Do(other, chromedp.Navigate(viewer)); err != nil {
		t.Fatal(err)
	}
	waitText(other, "#count-manual-sync", "processed 35 · unique 30 · duplicates 5 · lost 0")
	waitText(other, "#committed-manual-sync", want)

	// Refused: no token, the viewer's token, a foreign origin; none starts a run.
	post := func(link, from string) int {
		req, _ := http.NewRequest(http.MethodPost, strings.Replace(link, "/?", "/act?", 1), strings.NewReader("action=start&consumer=sync"))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		if from != "" {
			req.Header.Set("Origin", from)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	noToken := origin + "/?token="
	for _, tt := range []struct{ name, link, from string }{
		{"no token", noToken, origin},
		{"a wrong token", noToken + "guess", origin},
		{"the viewer's token", viewer, origin},
		{"a foreign origin", instructor, "http://evil.example"},
		{"no origin", instructor, ""},
	} {
		if code := post(tt.link, tt.from); code != http.StatusForbidden {
			t.Errorf("an action with %s: HTTP %d, want 403", tt.name, code)
		}
	}
	if resp, err := http.Get(noToken); err != nil || resp.StatusCode != http.StatusForbidden {
		t.Errorf("the page without its token: %v %v, want 403", resp, err)
	}
	var st struct{ Runs []struct{ PID int } }
	resp, err := http.Get(strings.Replace(viewer, "/?", "/state?", 1))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.NewDecoder(resp.Body).Decode(&st); err != nil || len(st.Runs) != 2 {
		t.Fatalf("after the refused actions the page lists %d runs (%v), want the 2 it started", len(st.Runs), err)
	}
	resp.Body.Close()

	// Ctrl+C: make live ends, and nothing it started is left.
	p.Signal(syscall.SIGINT)
	if code, err := p.Wait(ctx, 30*time.Second); err != nil || code != 0 {
		t.Fatalf("make live after Ctrl+C: exit %d, %v:\n%s", code, err, p.Output())
	}
	for _, r := range st.Runs {
		if alive(r.PID) {
			t.Errorf("run pid %d is still alive after make live stopped", r.PID)
		}
	}
	if onEmbedded() {
		if c, err := net.DialTimeout("tcp", l.brokers, time.Second); err == nil {
			c.Close()
			t.Errorf("make live's embedded broker still answers on %s after it stopped", l.brokers)
		}
	}
}

// jsString quotes s for a JavaScript expression.
func jsString(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}
