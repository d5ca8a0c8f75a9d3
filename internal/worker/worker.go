// Package worker is the poll → work → log → crash loop every consumer of the
// lab runs. A consumer's main supplies only its Strategy: the kgo options that
// decide how offsets are committed, and what to do after each record and each
// batch. Everything else (settings, the processed log, crashing on purpose,
// clean stops, fast restarts, riding out a broker outage) is here, the same
// for all of them, so that the difference between the mains is exactly the
// difference between the strategies. One file per concern: strategy.go (what
// a main decides), worker.go (start-up), client.go, loop.go, process.go,
// commit.go and committed.go, transaction.go, resume.go, rebalance.go,
// classify.go, idle.go, stop.go, outage.go, handoff.go (HANDOFF, a worker
// pool), share.go (a share group's member).
package worker

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime/pprof"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"offsetlab/internal/advice"
	"offsetlab/internal/cluster"
	"offsetlab/internal/config"
	"offsetlab/internal/events"
	"offsetlab/internal/instance"
	"offsetlab/internal/lines"
	"offsetlab/internal/processedlog"
)

// Run runs the consumer until CRASH, IDLE_EXIT, an error or a stop, and
// returns the exit code for main to exit with. A stop is the first Ctrl+C
// (SIGINT) or SIGTERM: the record in hand is finished, what was processed is
// committed, the member leaves the group. A second one is the signal's own:
// the process ends at once, committing nothing more. SIGUSR1 is a crash now,
// as CRASH strikes: exit(1) after the record in hand, nothing committed (the
// live page's "crash now"; kill -USR1 PID from a terminal).
func Run(cfg config.Consumer, s Strategy) int {
	ctx, stop := context.WithCancelCause(context.Background())
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	go func() {
		sig := <-sigs
		// From here on a signal has its default effect: the process
		// ends at once (a second Ctrl+C quits), before the stop's line
		// is printed, so whoever saw it can count on that.
		signal.Reset(os.Interrupt, syscall.SIGTERM)
		stop(errors.New(sig.String()))
	}()
	crashNow := make(chan os.Signal, 1)
	signal.Notify(crashNow, syscall.SIGUSR1)
	return runContext(ctx, cfg, s, os.Stdout, crashNow)
}

// RunContext is Run with the stop in ctx's hands (done: a clean stop) and
// the run's lines written to out: how a test runs the loop in its own
// process. A crash returns ExitCrash with the consumer's client dead (its
// context canceled: nothing more reaches the broker, no commit, no leave),
// as the process that exits with it would be.
func RunContext(ctx context.Context, cfg config.Consumer, s Strategy, out io.Writer) int {
	return runContext(ctx, cfg, s, out, nil)
}

func runContext(ctx context.Context, cfg config.Consumer, s Strategy, out io.Writer, crashNow <-chan os.Signal) int {
	pr := &lines.Printer{W: out, Prefix: s.Name}
	if err := s.validate(); err != nil {
		pr.Printf("error: %v", err)
		return ExitSettings
	}
	if cfg.Handoff > 0 && (s.Commit != nil || s.Effect != nil || s.Transact || s.Ack != nil) {
		// The pool's records would be committed, stored or answered by
		// the loop while the pool still works on them.
		pr.Printf("error: HANDOFF is for a strategy that leaves committing to kgo's timer, not %s", s.Name)
		return ExitSettings
	}
	s = s.resolved()
	w := &worker{cfg: cfg, s: s, out: pr, start: time.Now(), position: map[int32]*kgo.Record{}, fetched: map[int32]int64{}, owned: map[int32]bool{},
		halt: make(chan error, 1), lastCommit: time.Now(), commitTimes: &commitTimes{}, clReady: make(chan struct{}), crashNow: crashNow}
	w.broker = &outage{out: pr, event: w.event, dead: &w.dead}
	return w.run(ctx)
}

type worker struct {
	cfg   config.Consumer
	s     Strategy
	out   *lines.Printer
	start time.Time

	log        *processedlog.Writer
	events     *events.Writer
	adm        *cluster.Client
	cl         *kgo.Client
	clReady    chan struct{}             // closed once cl is set: kgo's callbacks can come before NewClient returns
	crashNow   <-chan os.Signal          // SIGUSR1: crash after the record in hand (nil in a test's process)
	crashing   atomic.Bool               // a crash now came
	die        context.CancelFunc        // cancels cl's context: a crash, in a process that goes on (a test's)
	dead       atomic.Bool               // set by a crash: kgo's callbacks do nothing more
	sess       *kgo.GroupTransactSession // Strategy.Transact only; cl is its client
	commits    *commits
	broker     *outage
	partitions []int32
	id         string

	processed atomic.Int64 // records processed in this run (atomic: the progress line reads it)
	effects   int          // of those, effects done (Strategy.Effect)
	skipped   int          // and effects found already done
	halt      chan error   // a kgo callback's error that ends the run (Resume failed)

	firstAt     time.Time // when the first record came, and the last was done (under mu)
	lastAt      time.Time
	commitTimes *commitTimes // kgo's hook: how long each commit request took
	pool        *pool        // HANDOFF: the goroutines the batches are handed to; nil: the loop works on them
	sinceCommit int          // records processed since CommitPer last ran Commit
	lastCommit  time.Time    // when it last did (the run's start before that)

	lag atomic.Int64    // records behind the partitions' ends as of the last poll (PRINT=progress)
	hwm map[int32]int64 // high watermarks the polls brought (PRINT=progress)

	// Written by the loop and by kgo's rebalance callbacks.
	mu       sync.Mutex
	position map[int32]*kgo.Record // last record processed per partition in this run
	fetched  map[int32]int64       // next offset kgo delivers per partition, since it was (last) assigned
	owned    map[int32]bool        // partitions this member holds, as of the last rebalance
	// dropped: partitions this member held when a commit said the group had
	// dropped it (UNKNOWN_MEMBER_ID, ILLEGAL_GENERATION): another member may
	// have processed and committed them since, so a commit of them before
	// the next session says who holds what could move the group back.
	dropped map[int32]bool

	sessionAdded, sessionRevoked []int32 // what kgo said the group session that is beginning changes

	unreleasedSaid bool        // said once that a KIP-848 group still holds this instance id
	unreleased     atomic.Bool // and it still does: no assignment since (the idle check stays quiet)

	deliveryLimit int     // share group: deliveries before the broker archives a record
	answers       answers // share group: this run's acknowledgements
}

// fail says why the run cannot start (or go on) and returns code; a start
// that a stop cut short says so instead.
func (w *worker) fail(ctx context.Context, code int, err error) int {
	if ctx.Err() != nil {
		w.out.Printf("stopped (%v) before the run began: nothing processed, nothing committed", context.Cause(ctx))
		return ExitSignal
	}
	w.out.Printf("error: %s", advice.Error(err))
	return code
}

// run checks everything that can be refused, then makes the client, then
// loops. Everything is checked before joining the group, so a bad start
// appends nothing to the logs and commits nothing.
func (w *worker) run(ctx context.Context) int {
	cfg := w.cfg
	w.id = instance.ID(cfg.Group, cfg.Instance)
	if w.s.Ack != nil {
		w.out.Printf("share group %s as member %s (its client id: the copy and the time it started), topic %s on %s", cfg.Group, w.clientID(), cfg.Topic, cfg.Conn.Describe())
	} else {
		w.out.Printf("group %s as static member %s, topic %s on %s", cfg.Group, w.id, cfg.Topic, cfg.Conn.Describe())
	}
	settings := w.settings()
	w.out.Printf("%s", settings)

	lock, err := instance.Acquire(cfg.Conn.Brokers, cfg.Group, cfg.Instance)
	if err != nil {
		return w.fail(ctx, ExitSettings, err)
	}
	defer lock.Release()
	// The broker first: one that is not there, or refuses this client's
	// SASL or TLS, leaves no log or events file behind.
	if w.adm, err = cluster.Dial(ctx, cfg.Conn); err != nil {
		return w.fail(ctx, ExitSettings, err)
	}
	defer w.adm.Close()
	if w.partitions, err = w.adm.Partitions(ctx, cfg.Topic); err != nil {
		return w.fail(ctx, ExitSettings, err)
	}
	if w.s.Ack != nil {
		return w.runShare(ctx)
	}
	if err := w.protocolSupported(ctx); err != nil {
		return w.fail(ctx, ExitSettings, err)
	}
	if err := w.groupSession(ctx); err != nil {
		return w.fail(ctx, ExitSettings, err)
	}
	closeLogs, err := w.openLogs()
	if err != nil {
		return w.fail(ctx, ExitSettings, err)
	}
	defer closeLogs()

	resume, err := w.whereToResume(ctx)
	if err != nil {
		return w.fail(ctx, ExitSettings, err)
	}
	// Everything before this line was checked without touching the logs: a
	// refused start appends nothing to either.
	w.event(events.Event{Kind: events.Start, Strategy: w.s.Name, Instance: cfg.Instance,
		Offsets: events.OffsetsOf(resume), Partitions: w.partitions, Detail: settings})

	if err := w.newClient(ctx); err != nil {
		return w.fail(ctx, ExitSettings, err)
	}
	defer w.die()

	if cfg.CPUProfile != "" {
		f, err := os.Create(cfg.CPUProfile)
		if err == nil {
			err = pprof.StartCPUProfile(f)
		}
		if err != nil {
			return w.fail(ctx, ExitSettings, fmt.Errorf("CPUPROFILE=%s: %w", cfg.CPUProfile, err))
		}
		defer pprof.StopCPUProfile()
	}
	if cfg.Print == config.PrintProgress {
		quit := make(chan struct{})
		defer close(quit)
		go w.progress(quit)
	}
	w.onStop(ctx)
	if cfg.Handoff > 0 {
		w.pool = w.startPool(ctx)
	}
	code := w.loop(ctx)
	if code != ExitCrash {
		if w.pool != nil {
			w.pool.stop() // the records in hand are finished first
		}
		w.shutdown(code)
	}
	return code
}

// openLogs opens the processed log and the events log for appending (the
// last step of a start that can be refused: a refused start appends nothing
// to either), and returns what closes them.
func (w *worker) openLogs() (func(), error) {
	var err error
	if w.log, err = processedlog.Open(w.cfg.Log); err != nil {
		return nil, fmt.Errorf("LOG=%s: %w", w.cfg.Log, err)
	}
	if w.events, err = events.Open(w.cfg.Events, events.RunID(w.start)); err != nil {
		w.log.Close()
		return nil, fmt.Errorf("EVENTS=%s: %w", w.cfg.Events, err)
	}
	return func() { w.events.Close(); w.log.Close() }, nil
}
