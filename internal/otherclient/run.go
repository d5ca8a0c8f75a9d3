// Package otherclient is the lab's side of a consumer over a Kafka client
// other than franz-go: kafka-go, and confluent-kafka-go's librdkafka. It gives
// them what the worker gives the franz-go consumers (the settings, the
// processed log, the events log, the pretend work, CRASH, IDLE_EXIT, a clean
// Ctrl+C, the summary line), around a loop the consumer's main writes with
// its own client's calls. It never touches that client: how the client
// reads and commits is the lesson, and stays in main.go.
//
// What the client does not say, the broker does: the run asks it (with
// franz-go's kadm, the lab's instrument) what the group has committed when a
// client commits in the background without reporting it (kafka-go's
// CommitInterval), when it closes, and before a CRASH_WHEN=committed crash.
// One file per concern: run.go (start, stop), record.go (the work, the
// crash), commits.go, idle.go, kafkago.go and librdkafka.go (how each client
// reaches the lab's broker, and what it logs).
package otherclient

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"os"
	"os/signal"
	"strings"
	"sync"
	"syscall"
	"time"

	"offsetlab/internal/advice"
	"offsetlab/internal/cluster"
	"offsetlab/internal/config"
	"offsetlab/internal/events"
	"offsetlab/internal/instance"
	"offsetlab/internal/lines"
	"offsetlab/internal/processedlog"
	"offsetlab/internal/worker"
)

// The exit codes are the franz-go consumers' (worker's): one meaning each,
// whatever the client.
const (
	ExitOK       = worker.ExitOK
	ExitCrash    = worker.ExitCrash    // CRASH reached, or the processed log could not be written
	ExitSettings = worker.ExitSettings // bad settings, no broker, no topic, a copy already running, or the client gave up
	ExitSignal   = worker.ExitSignal
)

// ErrCrash is what Process returns when CRASH strikes: main exits with
// ExitCrash at once, without closing its client, as a process that dies
// would (no final commit, no leaving the group).
var ErrCrash = errors.New("CRASH reached")

// Run is one run of a consumer.
type Run struct {
	Cfg config.Consumer

	name       string
	start      time.Time
	out        *lines.Printer
	adm        *cluster.Client
	lock       *instance.Lock
	log        *processedlog.Writer
	events     *events.Writer
	partitions []int32

	ctx    context.Context
	cancel context.CancelCauseFunc

	mu        sync.Mutex
	committed map[int32]int64 // as last reported (by the client, or seen at the broker)
	started   map[int32]int64 // what the group had committed when the run started
	moved     int             // commits that moved a committed offset
	position  map[int32]int64 // next offset after the last record processed, per partition
	processed int
	lastAt    time.Time // when the last record was done (the start before one)
	static    bool      // the client joined as StaticMember
}

// Start checks everything that can be refused (the broker, the topic, the
// copy's lock, the logs), prints what the run is, and writes its start
// event. A refused start appends nothing to either log.
func Start(name string, cfg config.Consumer) (*Run, error) {
	r := &Run{Cfg: cfg, name: name, start: time.Now(), out: &lines.Printer{W: os.Stdout, Prefix: name}, position: map[int32]int64{}}
	r.lastAt = r.start
	r.ctx, r.cancel = context.WithCancelCause(context.Background())
	r.out.Printf("group %s, copy %d, topic %s on %s", cfg.Group, cfg.Instance, cfg.Topic, cfg.Conn.Describe())
	settings := r.settings()
	r.out.Printf("%s", settings)

	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	go func() {
		sig := <-sigs
		// A second Ctrl+C has the signal's own effect: the process ends at once.
		signal.Reset(os.Interrupt, syscall.SIGTERM)
		r.out.Printf("%s: finishing the record in hand, closing the client (again to quit at once)", sig)
		r.cancel(errors.New(sig.String()))
	}()

	var err error
	if r.lock, err = instance.Acquire(cfg.Conn.Brokers, cfg.Group, cfg.Instance); err != nil {
		return nil, err
	}
	if r.adm, err = cluster.Dial(r.ctx, cfg.Conn); err != nil {
		r.lock.Release()
		return nil, err
	}
	refused := func(err error) (*Run, error) {
		r.adm.Close()
		r.lock.Release()
		return nil, err
	}
	if r.partitions, err = r.adm.Partitions(r.ctx, cfg.Topic); err != nil {
		return refused(err)
	}
	if r.committed, err = r.adm.Committed(r.ctx, cfg.Group, cfg.Topic); err != nil {
		return refused(err)
	}
	if r.log, err = processedlog.Open(cfg.Log); err != nil {
		return refused(fmt.Errorf("LOG=%s: %w", cfg.Log, err))
	}
	if r.events, err = events.Open(cfg.Events, events.RunID(r.start)); err != nil {
		r.log.Close()
		return refused(fmt.Errorf("EVENTS=%s: %w", cfg.Events, err))
	}
	r.started = maps.Clone(r.committed)
	r.out.Printf("group %s has committed %s: the client resumes there (- = nothing committed: from the earliest offset)",
		cfg.Group, cluster.OffsetsLine(r.committed, r.partitions))
	r.event(events.Event{Kind: events.Start, Strategy: name, Instance: cfg.Instance,
		Offsets: events.OffsetsOf(r.committed), Partitions: r.partitions, Detail: settings})
	if cfg.IdleExit > 0 {
		go r.watchIdle()
	}
	return r, nil
}

// Refused says why a run could not start, with the make target that helps,
// and returns the exit code for main; a start cut short by Ctrl+C says so.
func Refused(name string, err error) int {
	line := func(s string) { fmt.Printf("%s %s | %s\n", time.Now().Format("15:04:05.000"), name, s) }
	if errors.Is(err, context.Canceled) {
		line("stopped before the run began: nothing processed, nothing committed")
		return ExitSignal
	}
	line("error: " + advice.Error(err))
	return ExitSettings
}

// Context is done when the run should stop cleanly: Ctrl+C, SIGTERM, or
// IDLE_EXIT. The record in hand is finished first: Process does not look at it.
func (r *Run) Context() context.Context { return r.ctx }

// StaticMember is the copy's static member id, GROUP-INSTANCE, for a client
// that has static membership: a restart after a crash takes the member's
// partitions back at once instead of waiting out its session. A static
// member's Close does not leave the group (that is the point of it), so End
// removes it, as the franz-go consumers do on a clean stop.
func (r *Run) StaticMember() string {
	r.static = true
	return instance.ID(r.Cfg.Group, r.Cfg.Instance)
}

// Say prints a line the client itself wrote (its logger), or one of main's.
func (r *Run) Say(format string, args ...any) { r.out.Printf(format, args...) }

// End is main's last call after a loop that ended without a crash and after
// the client's Close (where a client with a background committer makes its
// final commit): it reports what the broker now has, the summary and the
// stop event, and returns the exit code. err is what ended the loop (nil, or
// the client's error).
func (r *Run) End(err error) int {
	defer r.lock.Release()
	defer r.adm.Close()
	defer r.log.Close()
	defer r.events.Close()
	// The context's own cancellation is a stop, not an error.
	if err != nil && r.ctx.Err() != nil && errors.Is(err, context.Canceled) {
		err = nil
	}
	r.seenAtBroker(context.Background(), "close")
	r.committedUnprocessed()
	if r.static {
		id := instance.ID(r.Cfg.Group, r.Cfg.Instance)
		if rerr := r.adm.RemoveStaticMember(context.Background(), r.Cfg.Group, id); rerr != nil {
			r.out.Printf("warning: removing static member %s from group %s: %v (it leaves when its session ends)", id, r.Cfg.Group, rerr)
		} else {
			r.out.Printf("left group %s: static member %s removed (a static member's Close does not leave)", r.Cfg.Group, id)
		}
	}
	// A stop (Ctrl+C, SIGTERM, IDLE_EXIT) is a clean end, exit 0, as for the
	// franz-go consumers; only a second Ctrl+C ends the process otherwise.
	how, code := "clean", ExitOK
	if err != nil {
		r.out.Printf("error: %v", err)
		how, code = "error", ExitSettings
	}
	r.summary(how)
	r.event(events.Event{Kind: events.Stop, Cause: how, Offsets: events.OffsetsOf(r.knownCommitted())})
	return code
}

// committedUnprocessed says, after the client closed, where the group's
// committed offset is past what this run processed: records the client took
// as done without the code having worked on them. A clean stop of a client
// that stores offsets as it hands messages over can do it (confluent-kafka-go's
// Close polls its queue until the consumer is closed, and every message that
// poll hands over and drops has its offset stored, then committed).
func (r *Run) committedUnprocessed() {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, p := range r.partitions {
		c, ok := r.committed[p]
		done := max(r.started[p], r.position[p])
		if !ok || c <= done {
			continue
		}
		r.out.Printf("warning: the broker has p%d at %d, but this run processed it up to %d only: offsets %d-%d were committed without being processed, lost unless another copy processed them",
			p, c, done, done, c-1)
	}
}

func (r *Run) summary(how string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.out.Printf("summary strategy=%s processed=%d commits=%d committed=%s exit=%s",
		r.name, r.processed, r.moved, strings.ReplaceAll(cluster.OffsetsLine(r.committed, r.partitions), " ", ","), how)
}

// settings is the line that says how this run is set up.
func (r *Run) settings() string {
	c := r.Cfg
	s := fmt.Sprintf("CRASH=%d", c.Crash)
	if c.Crash > 0 {
		s += " CRASH_WHEN=" + string(c.CrashWhen)
	}
	s += fmt.Sprintf(" WORK_DELAY=%s", c.WorkDelay)
	if c.CommitEvery > 0 {
		s += " COMMIT_EVERY=" + c.CommitEvery.String()
	}
	idle := "0 (never)"
	if c.IdleExit > 0 {
		idle = c.IdleExit.String()
	}
	return s + fmt.Sprintf(" IDLE_EXIT=%s LOG=%s EVENTS=%s", idle, c.Log, c.Events)
}

// event appends e to the events log; they are for pictures, so a failed write
// is said and the run goes on.
func (r *Run) event(e events.Event) {
	if err := r.events.Write(e); err != nil {
		r.out.Printf("warning: %v; this run's timeline will be incomplete (the processed log is not affected)", err)
	}
}
