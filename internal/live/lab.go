// Package live is the lab in a browser: a page that drives the real
// consumers as processes and draws their commits as they happen (make live).
// The page's actions are a fixed list; each runs the lab's own binaries
// exactly as its make target would, and says which target that is.
package live

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"syscall"
	"time"

	"offsetlab/internal/config"
	"offsetlab/internal/faults"
	"offsetlab/internal/proc"
	"offsetlab/internal/tally"
)

// Consumer is a consumer the page can start, by its make name (run-NAME).
type Consumer struct {
	Name   string // auto, sync, ...
	Binary string // its folder under the lab, and its binary in bin/
	// Count is the admin command make count-NAME runs when the processed
	// log alone does not say it: a share group's deliveries, the effect
	// consumers' tickets. "": the timeline's count says it.
	Count string
}

// Consumers are the seven the page offers, in the lesson's order.
var Consumers = []Consumer{
	{"auto", "auto-commit", ""}, {"sync", "manual-sync", ""}, {"async", "manual-async", ""},
	{"share", "share", "count-share"}, {"idempotent", "idempotent", "count-effects"},
	{"db-offsets", "db-offsets", "count-effects"}, {"transactional", "transactional", "count-output"},
}

// Settings are what the page may set on a run. The binary checks the values
// as it checks any setting: a bad one is refused with the same named error.
var Settings = []string{"WORK_DELAY", "MAX_POLL_RECORDS", "COMMIT_EVERY", "CRASH", "GREEDY", "GROUP_PROTOCOL", "INSTANCE"}

// A value from the page is at most a short word: it reaches the binary as an
// environment variable, never through a shell.
var plainValue = regexp.MustCompile(`^[A-Za-z0-9.:_-]{0,40}$`)

// Lab is the broker, the topic and the runs the page drives.
type Lab struct {
	Bin     string // the lab's bin/
	Dir     string // where the runs write their logs: the folder make live runs from
	Conn    config.Connection
	Topic   string
	Own     *proc.Broker // the embedded broker make live started; nil when BROKERS named one
	Env     []string     // the environment every process gets (the caller's, cleared of the lab's settings)
	History int          // how many ended runs the page keeps listed

	mu     sync.Mutex
	runs   []*Run
	next   int
	ranges map[int32]tally.Range // the topic's offsets, as the broker last gave them
	drawn  map[string]drawn      // each consumer's timeline, as last built
}

// Run is one consumer process the page started.
type Run struct {
	ID       int
	Consumer Consumer
	Settings []string // NAME=value, as given
	Started  time.Time
	p        *proc.Proc
}

// Make is the make command that starts the same run from a terminal.
func (r *Run) Make() string {
	return strings.TrimSpace("make run-" + r.Consumer.Name + " " + strings.Join(r.Settings, " "))
}

// env is a process's environment: the lab's connection and topic, what make
// sets for a run (IDLE_EXIT), then the run's own settings.
func (l *Lab) env(kv ...string) []string {
	base := append(slices.Clone(l.Env), "BROKERS="+strings.Join(l.Conn.Brokers, ","), "TOPIC="+l.Topic, "IDLE_EXIT=5s")
	return append(base, kv...)
}

// Start starts consumer name with settings (NAME=value), as make run-NAME
// would, in the lab's folder. A run its binary refuses (a bad setting, a
// second copy of one instance) is an error with the binary's own words.
func (l *Lab) Start(ctx context.Context, name string, settings map[string]string) (*Run, error) {
	i := slices.IndexFunc(Consumers, func(c Consumer) bool { return c.Name == name })
	if i < 0 {
		return nil, fmt.Errorf("no consumer %q: the page starts %s", name, names())
	}
	var kv []string
	for _, s := range Settings {
		v, ok := settings[s]
		if !ok || v == "" {
			continue
		}
		if !plainValue.MatchString(v) {
			return nil, fmt.Errorf("%s=%q: a setting's value is a short word of letters, digits and . : _ -", s, v)
		}
		kv = append(kv, s+"="+v)
	}
	for s := range settings {
		if !slices.Contains(Settings, s) {
			return nil, fmt.Errorf("%s: the page sets only %s", s, strings.Join(Settings, ", "))
		}
	}
	c := Consumers[i]
	p, err := proc.Start(proc.Cmd{Path: filepath.Join(l.Bin, c.Binary), Env: l.env(kv...), Dir: l.Dir})
	if err != nil {
		return nil, err
	}
	// Listed at once: the page shows the run as it starts.
	l.mu.Lock()
	l.next++
	r := &Run{ID: l.next, Consumer: c, Settings: kv, Started: time.Now(), p: p}
	l.runs = append(l.runs, r)
	l.forget()
	l.mu.Unlock()
	// A refused start ends at once with exit 2 and its reason; give it a
	// moment to say so before calling the run started.
	select {
	case <-p.Done():
		if p.Code() == 2 {
			return nil, fmt.Errorf("%s refused to start: %s", c.Binary, refusal(p.Lines()))
		}
	case <-time.After(1500 * time.Millisecond):
	case <-ctx.Done():
	}
	return r, nil
}

// forget drops the oldest ended runs beyond History, so that a page left
// open for a day lists what it can show.
func (l *Lab) forget() {
	ended := 0
	for i := len(l.runs) - 1; i >= 0; i-- {
		if l.runs[i].p.Ended() {
			ended++
			if l.History > 0 && ended > l.History {
				l.runs = slices.Delete(l.runs, i, i+1)
			}
		}
	}
}

// refusal is the error lines of a refused start, or its last line.
func refusal(lines []string) string {
	var errs []string
	for _, l := range lines {
		if strings.Contains(l, "error") || strings.Contains(l, " = ") {
			errs = append(errs, l)
		}
	}
	if len(errs) == 0 && len(lines) > 0 {
		errs = lines[len(lines)-1:]
	}
	return strings.Join(errs, "; ")
}

// ErrNoRun is a signal for a run that is not there or has ended.
var ErrNoRun = errors.New("no such run, or it has ended")

// Signal sends sig to run id: SIGINT is a Ctrl+C (the record in hand is
// finished, what was processed committed), SIGUSR1 a crash now (exit 1
// after the record in hand, nothing committed, as CRASH does), SIGKILL a
// kill (nothing more happens). It returns the shell command that does the
// same.
func (l *Lab) Signal(id int, sig syscall.Signal) (string, error) {
	l.mu.Lock()
	i := slices.IndexFunc(l.runs, func(r *Run) bool { return r.ID == id })
	var r *Run
	if i >= 0 {
		r = l.runs[i]
	}
	l.mu.Unlock()
	if r == nil || r.p.Ended() {
		return "", ErrNoRun
	}
	if err := r.p.Signal(sig); err != nil {
		return "", fmt.Errorf("signal run %d: %w", id, err)
	}
	name := map[syscall.Signal]string{syscall.SIGINT: "INT", syscall.SIGUSR1: "USR1", syscall.SIGKILL: "KILL"}[sig]
	return fmt.Sprintf("kill -%s %d (-INT is Ctrl+C in its terminal; -USR1 a crash now)", name, r.p.PID()), nil
}

// Runs are the runs the page lists, oldest first.
func (l *Lab) Runs() []*Run {
	l.mu.Lock()
	defer l.mu.Unlock()
	return slices.Clone(l.runs)
}

// Fresh puts the lab at the lesson's start, as make fresh does: the topic
// made again with 30 orders, the consumers' groups deleted, the effect
// consumers' tickets and the logs cleared. Runs still going are killed first (a deleted topic under them
// would only confuse the picture).
func (l *Lab) Fresh(ctx context.Context) (string, error) {
	l.StopAll(syscall.SIGKILL)
	groups := make([]string, len(Consumers))
	for i, c := range Consumers {
		groups[i] = "kitchen-" + c.Name
	}
	for _, args := range [][]string{
		{"admin", "topic-delete"}, {"admin", "topic-create"}, {"seed", "-seed-messages", "30"},
		{"admin", "group-delete", "-group", strings.Join(groups, ",")},
		{"admin", "tickets-clear", "-group", "kitchen-idempotent,kitchen-db-offsets"},
	} {
		if _, err := l.tool(ctx, args[0], args[1:]...); err != nil {
			return "", err
		}
	}
	for _, c := range Consumers {
		for _, f := range []string{"processed-" + c.Name + ".log", "events-" + c.Name + ".jsonl"} {
			if err := os.Remove(filepath.Join(l.Dir, f)); err != nil && !errors.Is(err, os.ErrNotExist) {
				return "", err
			}
		}
	}
	l.mu.Lock()
	l.runs = nil
	l.mu.Unlock()
	return "make fresh", nil
}

// Load produces 30 more orders, as make topic-load does.
func (l *Lab) Load(ctx context.Context) (string, error) {
	_, err := l.tool(ctx, "seed", "-seed-messages", "30")
	return "make topic-load", err
}

// Prepare makes the topic with 30 orders if it is not there yet (make
// topic-create topic-load); a topic that exists is left as it is.
func (l *Lab) Prepare(ctx context.Context) (bool, error) {
	if _, err := l.tool(ctx, "admin", "topic-describe"); err == nil {
		return false, nil
	}
	if _, err := l.tool(ctx, "admin", "topic-create"); err != nil {
		return false, err
	}
	_, err := l.tool(ctx, "seed", "-seed-messages", "30")
	return true, err
}

// runTool runs one of the lab's tools (admin, seed) to its end, within
// timeout, and returns it (its lines) with its exit code.
func (l *Lab) runTool(ctx context.Context, timeout time.Duration, bin string, args ...string) (*proc.Proc, int, error) {
	p, err := proc.Start(proc.Cmd{Path: filepath.Join(l.Bin, bin), Args: args, Env: l.env(), Dir: l.Dir})
	if err != nil {
		return nil, 0, err
	}
	code, err := p.Wait(ctx, timeout)
	if err != nil {
		p.Kill()
		return nil, 0, fmt.Errorf("%s %s: %w", bin, strings.Join(args, " "), err)
	}
	return p, code, nil
}

// tool runs one of the lab's tools to its end and returns what it printed;
// an exit other than 0 is an error with its last lines.
func (l *Lab) tool(ctx context.Context, bin string, args ...string) (string, error) {
	p, code, err := l.runTool(ctx, time.Minute, bin, args...)
	if err != nil {
		return "", err
	}
	if code != 0 {
		return "", fmt.Errorf("%s %s exited %d: %s", bin, strings.Join(args, " "), code, p.Tail(3))
	}
	return p.Output(), nil
}

// StopAll stops every run still going with sig and waits for them: a
// SIGINT lets each finish its record and commit, as a Ctrl+C does.
func (l *Lab) StopAll(sig syscall.Signal) {
	for _, r := range l.Runs() {
		if !r.p.Ended() {
			_ = r.p.Signal(sig)
		}
	}
	for _, r := range l.Runs() {
		select {
		case <-r.p.Done():
		case <-time.After(15 * time.Second):
			r.p.Kill()
			<-r.p.Done()
		}
	}
}

func names() string {
	var n []string
	for _, c := range Consumers {
		n = append(n, c.Name)
	}
	return strings.Join(n, ", ")
}

// ErrNotOwn refuses the broker's controls on a broker make live did not
// start: it can neither kill Apache Kafka nor make it fail commits.
var ErrNotOwn = errors.New("BROKERS names a broker make live did not start: only its own embedded broker can be killed, restarted or made to fail commits")

// BrokerKill SIGKILLs the embedded broker: an outage, as a crash of its
// machine would cause. The runs wait for it (and say so).
func (l *Lab) BrokerKill() (string, error) {
	if l.Own == nil {
		return "", ErrNotOwn
	}
	pid := l.Own.PID()
	l.Own.Kill()
	return fmt.Sprintf("kill -KILL %d (the embedded broker)", pid), nil
}

// BrokerStart starts the embedded broker again, on its port and with its
// state, and waits until it answers.
func (l *Lab) BrokerStart(ctx context.Context) (string, error) {
	if l.Own == nil {
		return "", ErrNotOwn
	}
	if l.Own.Running() {
		return "", errors.New("the embedded broker is running: kill it first")
	}
	if err := l.Own.Start(ctx); err != nil {
		return "", err
	}
	return "make broker-up", nil
}

// FailCommits makes the embedded broker fail the next count commits of
// consumer's group with the Kafka error errName, as make fault-commit does.
func (l *Lab) FailCommits(consumer, errName, count string) (string, error) {
	if l.Own == nil {
		return "", ErrNotOwn
	}
	i := slices.IndexFunc(Consumers, func(c Consumer) bool { return c.Name == consumer })
	if i < 0 {
		return "", fmt.Errorf("no consumer %q: the page's are %s", consumer, names())
	}
	n, err := faults.ParseCount(count)
	if err != nil {
		return "", fmt.Errorf("COUNT=%q: %w", count, err)
	}
	group := "kitchen-" + consumer
	spec := faults.Spec{Err: strings.ToUpper(strings.TrimSpace(errName)), Count: n, Group: group}
	if err := spec.Check(); err != nil {
		return "", err
	}
	c, err := faults.Find(l.Own.Data(), l.Conn.Brokers)
	if err != nil {
		return "", err
	}
	if _, err := c.Add(spec); err != nil {
		return "", err
	}
	return fmt.Sprintf("make fault-commit ERR=%s COUNT=%s GROUP=%s", spec.Err, count, group), nil
}

// ClearFaults answers commits normally again, as make fault-clear does.
func (l *Lab) ClearFaults() (string, error) {
	if l.Own == nil {
		return "", ErrNotOwn
	}
	c, err := faults.Find(l.Own.Data(), l.Conn.Brokers)
	if err != nil {
		return "", err
	}
	if _, err := c.Clear(); err != nil {
		return "", err
	}
	return "make fault-clear", nil
}

// Reset moves consumer's group to TO (earliest, latest, offset:N, shift:±N,
// datetime:...), as make group-reset-NAME does: a dry run that only shows
// the plan, or, with execute, the reset itself. It returns the plan or the
// result as admin prints it, and the make command.
func (l *Lab) Reset(ctx context.Context, consumer, to string, execute bool) (string, string, error) {
	if !slices.ContainsFunc(Consumers, func(c Consumer) bool { return c.Name == consumer }) {
		return "", "", fmt.Errorf("no consumer %q: the page's are %s", consumer, names())
	}
	if !plainValue.MatchString(to) {
		return "", "", fmt.Errorf("TO=%q: want earliest, latest, offset:N, shift:-N or datetime:2026-05-01T00:00:00Z", to)
	}
	args := []string{"group-reset", "-group", "kitchen-" + consumer, "-to", to}
	cmd := fmt.Sprintf("make group-reset-%s TO=%s", consumer, to)
	if execute {
		args = append(args, "-execute", "1")
		cmd += " EXECUTE=1"
	}
	out, err := l.tool(ctx, "admin", args...)
	if err != nil {
		return "", "", err
	}
	return out, cmd, nil
}
