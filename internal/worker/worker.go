// Package worker is the poll → work → log → crash loop the three consumers
// share. A consumer's main supplies only its Strategy: the kgo options that
// decide how offsets are committed, and what to do after each record and each
// batch. Everything else (settings, the processed log, crashing on purpose,
// clean stops, fast restarts, riding out a broker outage) is here, the same
// for all three, so that the difference between the mains is exactly the
// difference between the strategies.
package worker

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime/pprof"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"

	"offsetlab/internal/cluster"
	"offsetlab/internal/config"
	"offsetlab/internal/events"
	"offsetlab/internal/instance"
	"offsetlab/internal/processedlog"
)

// Strategy is what one consumer binary decides about offsets.
type Strategy struct {
	// Name is printed on every line, e.g. "manual-sync".
	Name string
	// Opts are the kgo options that set how offsets get committed.
	Opts []kgo.Opt
	// Processed runs after a record's line is in the processed log, e.g. to
	// mark it for committing. Optional.
	Processed func(cl *kgo.Client, r *kgo.Record)
	// Commit runs after every polled batch was processed, and once more on a
	// clean stop. latest is, for each partition this member owns where this
	// run processed past the offset it last saw committed, the last record
	// it processed there: everything this run has not yet committed, not
	// only the batch just done. Its commits are reported with CommitWhy
	// ("batch", "flush") or "shutdown". Optional: without it the code never
	// commits (kgo's auto-commit does).
	//
	// A strategy with Commit commits only what it processed, so the worker
	// also does what such a strategy needs after its member lost the group
	// (a broker restart): when partitions come back, it commits what this
	// run processed there before kgo reads where to resume. See rejoined.
	Commit    func(ctx context.Context, cl *kgo.Client, latest []*kgo.Record) error
	CommitWhy string
	// CommitPer is when Commit runs: after every batch (the zero value,
	// "batch"), after every record, every Count records or every Every
	// (checked after each record), or never ("none": no Commit at all, not
	// even at a clean stop). A clean stop commits what was processed
	// whatever the policy, except "none".
	CommitPer config.CommitPer
	// Wait makes the loop wait for Commit: a commit that fails is tried
	// again, with backoff, until it succeeds or the partitions are no
	// longer this member's, and nothing more is polled meanwhile. That is
	// what a synchronous commit promises: at most the batch in hand is
	// uncommitted.
	Wait bool

	// Effect is the record's lasting result outside Kafka (a row in a
	// database), done after the record's line is in the processed log and
	// before the record may be committed. It returns why the effect was
	// skipped ("" when it was done), or an error: the run then stops, and
	// nothing from that record on is committed. Optional.
	Effect func(ctx context.Context, cl *kgo.Client, r *kgo.Record) (skipped string, err error)
	// Resume, if set, is where each partition resumes instead of the
	// group's committed offsets: the next offset per partition, from where
	// the strategy keeps it (ResumeFrom, e.g. "the database"). The worker
	// asks it at the start and kgo asks it whenever partitions are assigned
	// (kgo.AdjustFetchOffsetsFn); a partition it has nothing for starts
	// where RESET says. An error stops the run. Optional.
	Resume     func(ctx context.Context) (map[int32]int64, error)
	ResumeFrom string

	// Ack makes the consumer a share group's member (KIP-932) instead of a
	// consumer group's: nothing is committed; each record is answered after
	// its work, with the status Ack returns for it (workErr is the work's
	// failure, nil when it succeeded). Commit, Processed and the rest of the
	// group settings do not apply.
	Ack func(r *kgo.Record, workErr error) kgo.AckStatus

	// Transact makes each polled batch one Kafka transaction, in place of
	// Commit: the worker builds its client with kgo.NewGroupTransactSession,
	// begins a transaction before the batch's first record and ends it after
	// the batch, which commits what the batch produced (Effect) together with
	// its consumed offsets, or neither. A batch cut short (Ctrl+C) is
	// aborted: ending a transaction commits every polled offset, processed
	// or not. Opts must include kgo.TransactionalID.
	Transact bool
}

// Exit codes.
const (
	ExitOK       = 0
	ExitCrash    = 1 // CRASH reached, or the processed log could not be written
	ExitSettings = 2 // bad settings, broker unreachable at start, topic missing, log unwritable, copy already running, or an error waiting cannot cure
	ExitFenced   = 3 // another process took this static member id
	ExitEffect   = 4 // an effect (or where to resume) could not be stored or read: the database went away
	ExitSignal   = 130
)

// Run runs the consumer until CRASH, a signal, IDLE_EXIT or a fatal error, and
// returns the process exit code. A crash does not return: it is os.Exit(1).
func Run(cfg config.Consumer, s Strategy) int {
	if s.CommitPer.Kind == "none" {
		// Never commit: no Commit to run, nothing to wait for, no last
		// commit on revoke.
		s.Commit, s.Wait = nil, false
	}
	out := &printer{w: os.Stdout, prefix: s.Name}
	w := &worker{cfg: cfg, s: s, out: out, start: time.Now(), position: map[int32]*kgo.Record{}, fetched: map[int32]int64{}, owned: map[int32]bool{},
		halt: make(chan error, 1), lastCommit: time.Now(), commitTimes: &commitTimes{}, clReady: make(chan struct{})}
	w.broker = &outage{out: out, event: w.event}
	return w.run()
}

type worker struct {
	cfg   config.Consumer
	s     Strategy
	out   *printer
	start time.Time

	log        *processedlog.Writer
	events     *events.Writer
	adm        *cluster.Client
	cl         *kgo.Client
	clReady    chan struct{}             // closed once cl is set: kgo's callbacks can come before NewClient returns
	sess       *kgo.GroupTransactSession // Strategy.Transact only; cl is its client
	commits    *commits
	broker     *outage
	partitions []int32
	id         string

	processed atomic.Int64 // records processed in this run (atomic: the progress line reads it)
	effects   int          // of those, effects done (Strategy.Effect)
	skipped   int          // and effects found already done
	halt      chan error   // a kgo callback's error that ends the run (Resume failed)

	firstAt     time.Time // when the first record came, and the last was done
	lastAt      time.Time
	commitTimes *commitTimes // kgo's hook: how long each commit request took
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

func (w *worker) fail(code int, err error) int {
	w.out.printf("error: %v", err)
	return code
}

func (w *worker) run() int {
	cfg := w.cfg
	w.id = instance.ID(cfg.Group, cfg.Instance)
	if w.s.Ack != nil {
		w.out.printf("share group %s as member %s (its client id: the copy and the time it started), topic %s on %s", cfg.Group, w.clientID(), cfg.Topic, cfg.Conn.Describe())
	} else {
		w.out.printf("group %s as static member %s, topic %s on %s", cfg.Group, w.id, cfg.Topic, cfg.Conn.Describe())
	}
	settings := w.settings()
	w.out.printf("%s", settings)

	// Everything that can be refused is checked before joining the group, so
	// a bad start appends nothing to the log and commits nothing.
	lock, err := instance.Acquire(cfg.Conn.Brokers, cfg.Group, cfg.Instance)
	if err != nil {
		return w.fail(ExitSettings, err)
	}
	defer lock.Release()
	// The broker first: one that is not there, or refuses this client's
	// SASL or TLS, leaves no log or events file behind.
	ctx := context.Background()
	if w.adm, err = cluster.Dial(ctx, cfg.Conn); err != nil {
		return w.fail(ExitSettings, err)
	}
	defer w.adm.Close()
	if w.partitions, err = w.adm.Partitions(ctx, cfg.Topic); err != nil {
		return w.fail(ExitSettings, err)
	}
	if w.s.Ack != nil {
		return w.runShare(ctx)
	}
	if cfg.GroupProtocol == "consumer" {
		// kgo falls back to the classic protocol, without a word, on a
		// broker that does not speak KIP-848: the lab says so instead.
		ok, which, err := w.adm.Supports(ctx, kmsg.ConsumerGroupHeartbeat, 1)
		if err != nil {
			return w.fail(ExitSettings, err)
		}
		if !ok {
			return w.fail(ExitSettings, fmt.Errorf("GROUP_PROTOCOL=consumer: %s, the KIP-848 group protocol (kgo needs v1: Kafka 4.0 or later); use GROUP_PROTOCOL=classic", which))
		}
	}
	closeLogs, err := w.openLogs()
	if err != nil {
		return w.fail(ExitSettings, err)
	}
	defer closeLogs()

	committed, err := w.adm.Committed(ctx, cfg.Group, cfg.Topic)
	if err != nil {
		return w.fail(ExitSettings, err)
	}
	w.commits = newCommits(w.out, w.event, cfg.Topic, committed)
	w.commits.quiet = cfg.Print != "records"
	resume := committed
	if w.s.Resume != nil {
		if resume, err = w.s.Resume(ctx); err != nil {
			return w.fail(ExitSettings, err)
		}
		w.out.printf("%s has stored next offsets %s: the run resumes there, whatever group %s has committed (%s: a copy)",
			w.s.ResumeFrom, offsetsSummary(resume, w.partitions), cfg.Group, w.commits.summary(w.partitions))
	} else {
		w.out.printf("group %s has committed %s: the run resumes there (- = nothing committed: from the %s offset)",
			cfg.Group, w.commits.summary(w.partitions), map[bool]string{false: "earliest", true: "latest"}[cfg.ResetLatest])
	}
	// Everything before this line was checked without touching the logs: a
	// refused start appends nothing to either.
	w.event(events.Event{Kind: events.Start, Strategy: w.s.Name, Instance: cfg.Instance,
		Offsets: events.OffsetsOf(resume), Partitions: w.partitions, Detail: settings})

	// Where the cluster is and, on a secured one, SASL and TLS (BROKERS,
	// SASL_*, TLS*): the same for every client the lab makes.
	opts := append(cfg.Conn.Opts(),
		kgo.ConsumerGroup(cfg.Group),
		kgo.ConsumeTopics(cfg.Topic),
		// Where a group with nothing committed starts: the beginning of each
		// partition (the lab's default), or its end (RESET=latest: only what
		// is produced from now on; the backlog is skipped, never processed).
		kgo.ConsumeResetOffset(w.resetOffset()),
		// How long the broker waits, when the group rebalances, for this
		// member to rejoin before it drops it. With BlockRebalanceOnPoll the
		// member rejoins only after its batch: a batch slower than this
		// loses the member its partitions (kgo has no max.poll.interval.ms).
		kgo.RebalanceTimeout(cfg.RebalanceTimeout),
		// Static membership: a restarted process with the same instance id
		// takes its old place in the group at once, instead of the broker
		// waiting out the crashed member's session (45s by default).
		kgo.InstanceID(w.id),
		// No rebalance while a polled batch is being processed, so a batch is
		// always finished and committed by the member that polled it before
		// its partitions move. AllowRebalance after every batch.
		kgo.BlockRebalanceOnPoll(),
		kgo.OnPartitionsAssigned(w.assigned),
		kgo.OnPartitionsLost(w.lost),
		kgo.AutoCommitCallback(func(cl *kgo.Client, req *kmsg.OffsetCommitRequest, resp *kmsg.OffsetCommitResponse, err error) {
			if err != nil && unreachable(err) {
				w.broker.failedTry(err)
				w.commitFailed("timer", nil, err)
				return
			}
			if err == nil {
				w.broker.back("a commit went through")
			}
			w.commits.autoCommitted(cl, req, resp, err)
			if err == nil {
				err = kgoCommitErr(resp)
			}
			w.timedOut(err)
		}),
		kgo.DialTimeout(2*time.Second),
		// How long the broker may hold a fetch that has nothing to return.
		// kgo's default is 5s (Java's fetch.max.wait.ms is 500ms), and a
		// partition whose start offset kgo is still looking up waits for the
		// fetch in flight: a restart whose other partitions were read to the
		// end sat idle for 5s before its first record.
		kgo.FetchMaxWait(500*time.Millisecond),
		// A broker that goes away is waited for: kgo's dials say when it
		// went and when it came back.
		kgo.WithHooks(w.broker, w.commitTimes),
		kgo.WithLogger(kgoLog{w}),
	)
	if cfg.GroupProtocol == "consumer" {
		// KIP-848: the member tells the broker what it subscribes to and the
		// group coordinator assigns the partitions, one member at a time,
		// without stopping the others. kgo speaks it with a sticky or range
		// balancer only (the broker's "uniform" or "range" assignor).
		opts = append(opts, kgo.ServerSideBalancer(), kgo.Balancers(kgo.StickyBalancer()))
	}
	if w.s.Wait {
		// kgo makes no commit of its own when auto-commit is off (its default
		// revoke commits only auto-committed offsets), so this costs the
		// strategy nothing: a partition taken away gets a last commit here.
		opts = append(opts, kgo.OnPartitionsRevoked(w.revoked))
	}
	if w.s.Resume != nil {
		opts = append(opts, kgo.AdjustFetchOffsetsFn(w.adjust))
	}
	opts = append(opts, w.s.Opts...)
	if w.s.Transact {
		// The session wraps the revoke and lost callbacks: a transaction a
		// rebalance interrupted is aborted, never committed.
		if w.sess, err = kgo.NewGroupTransactSession(opts...); err == nil {
			w.cl = w.sess.Client()
		}
	} else {
		w.cl, err = kgo.NewClient(opts...)
	}
	if err != nil {
		return w.fail(ExitSettings, fmt.Errorf("consumer client: %w", err))
	}
	close(w.clReady)
	if w.s.Transact {
		// Java's initTransactions(), at once: kgo would register the
		// transactional id only at the first produce, but the group asks
		// where to resume before that, and while a killed run's transaction
		// holds offsets it committed, Kafka answers UNSTABLE_OFFSET_COMMIT
		// (RequireStableFetchOffsets) until that transaction ends: a restart
		// killed between TxnOffsetCommit and EndTxn would wait out the
		// transaction timeout. Registering the id bumps the producer epoch,
		// which fences the old producer and aborts its transaction now.
		ictx, cancel := context.WithTimeout(ctx, 15*time.Second)
		id, epoch, err := w.cl.ProducerID(ictx)
		cancel()
		if err != nil {
			w.cl.Close()
			return w.fail(ExitSettings, fmt.Errorf("transactional id %v: %w", w.cl.OptValue(kgo.TransactionalID), err))
		}
		w.out.printf("transactional id %v is producer %d, epoch %d: an earlier producer with this id is fenced, a transaction a killed run left open is aborted (with no restart, the broker aborts it once it is older than %v)",
			w.cl.OptValue(kgo.TransactionalID), id, epoch, w.cl.OptValue(kgo.TransactionTimeout))
	}

	if cfg.CPUProfile != "" {
		f, err := os.Create(cfg.CPUProfile)
		if err == nil {
			err = pprof.StartCPUProfile(f)
		}
		if err != nil {
			return w.fail(ExitSettings, fmt.Errorf("CPUPROFILE=%s: %w", cfg.CPUProfile, err))
		}
		defer pprof.StopCPUProfile() // and crash stops it before its exit
	}
	stop, stopped := w.signals()
	if cfg.Print == "progress" {
		quit := make(chan struct{})
		defer close(quit)
		go w.progress(quit)
	}
	code := w.loop(stop, stopped)
	w.shutdown(code)
	return code
}

// signals: the first SIGINT/SIGTERM asks for a clean stop after the record in
// hand; a second one quits at once.
func (w *worker) signals() (<-chan struct{}, func() bool) {
	sigs := make(chan os.Signal, 2)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	stop := make(chan struct{})
	var once sync.Once
	go func() {
		sig := <-sigs
		done := "committing what was processed"
		if w.s.Ack != nil {
			done = "answering what was processed, releasing the rest of the batch"
		}
		w.out.printf("%s: finishing the record in hand, %s, leaving the group (again to quit at once)", sig, done)
		once.Do(func() { close(stop) })
		<-sigs
		w.out.printf("second signal: quitting at once, nothing more committed")
		w.event(events.Event{Kind: events.Stop, Cause: "second signal"})
		os.Exit(ExitSignal)
	}()
	return stop, func() bool {
		select {
		case <-stop:
			return true
		default:
			return false
		}
	}
}

func (w *worker) loop(stop <-chan struct{}, stopped func() bool) int {
	cfg := w.cfg
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() { <-stop; cancel() }()
	lastRecord := time.Now()
	for !stopped() {
		select {
		case err := <-w.halt:
			w.out.printf("error: %v: stopping", err)
			w.cl.AllowRebalance()
			return ExitEffect
		default:
		}
		fetches, code, end := w.poll(ctx)
		if end {
			w.cl.AllowRebalance()
			return code
		}

		records := fetches.Records()
		if cfg.Print == "progress" {
			w.noteLag(fetches)
		}
		if w.s.Transact && len(records) > 0 {
			if err := w.sess.Begin(); err != nil {
				w.cl.AllowRebalance()
				return w.fail(ExitSettings, fmt.Errorf("begin a transaction: %w", err))
			}
			if cfg.Print == "records" {
				w.out.printf("transaction began for %s: this batch's tickets and its offsets commit together, or neither does", spans(records))
			}
		}
		var done []*kgo.Record
		for _, r := range records {
			if err := w.process(ctx, r); err != nil {
				// The effect is not stored, so the record is not done: it
				// stays uncommitted (a restart gets it again), and so does
				// everything after it. What came before it in the batch is
				// in the database and may be committed: the clean stop does.
				w.out.printf("error: the effect of p%d@%d %s was not stored: %v. Stopping: p%d@%d and what follows stay uncommitted, a restart gets them again",
					r.Partition, r.Offset, r.Key, err, r.Partition, r.Offset)
				if w.s.Transact {
					w.endTransaction(false, len(done))
				}
				w.cl.AllowRebalance()
				return ExitEffect
			}
			done = append(done, r)
			w.sinceCommit++
			if cfg.Crash > 0 && w.processed.Load() == int64(cfg.Crash) {
				w.crash(r)
			}
			if why := w.commitDue(); why != "" {
				if code, fatal := w.commit(why); fatal {
					w.cl.AllowRebalance()
					return code
				}
				w.sinceCommit, w.lastCommit = 0, time.Now()
			}
			if stopped() {
				break // the record in hand is finished; the rest of the batch is not ours to process
			}
		}
		if w.s.Transact && len(records) > 0 {
			if code, fatal := w.endTransaction(len(done) == len(records), len(done)); fatal {
				w.cl.AllowRebalance()
				return code
			}
		}
		if len(done) > 0 {
			lastRecord = time.Now()
			perBatch := w.s.CommitPer.Kind == "" || w.s.CommitPer.Kind == "batch"
			if w.s.Commit != nil && (perBatch || stopped()) {
				why := w.s.CommitWhy
				if stopped() {
					why = "shutdown"
				}
				if code, fatal := w.commit(why); fatal {
					w.cl.AllowRebalance()
					return code
				}
				w.sinceCommit, w.lastCommit = 0, time.Now()
			}
		}
		w.cl.AllowRebalance()

		// IDLE_EXIT counts only time in which the broker answered: a run
		// waiting out an outage is not idle, it is waiting.
		if w.broker.isDown() {
			w.broker.remind()
			lastRecord = time.Now()
			continue
		}
		if cfg.IdleExit > 0 && len(done) == 0 && time.Since(lastRecord) >= cfg.IdleExit {
			caught, why := w.caughtUp(ctx)
			if caught {
				w.out.printf("no record for %s and every assigned partition is read to its end: stopping (IDLE_EXIT)", cfg.IdleExit)
				return ExitOK
			}
			if !w.unreleased.Load() {
				w.out.printf("idle for %s but %s: waiting", cfg.IdleExit, why)
			}
			lastRecord = time.Now()
		}
	}
	// A stop that came while no batch was in hand: commit what is left
	// (nothing, unless a commit failed earlier).
	if w.s.Commit != nil && len(w.uncommitted()) > 0 {
		if code, fatal := w.commit("shutdown"); fatal {
			return code
		}
	}
	return ExitOK
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

// poll polls at most MAX_POLL_RECORDS, waking up now and then to remind of
// an outage and often enough to check whether the run is idle. Its last
// result is true when the run must end, with the code before it: the client
// was closed (ExitOK), or the poll brought an error waiting cannot cure.
func (w *worker) poll(ctx context.Context) (kgo.Fetches, int, bool) {
	wake := 500 * time.Millisecond
	if w.cfg.IdleExit > 0 {
		wake = min(w.cfg.IdleExit, wake)
	}
	pollCtx, cancel := context.WithTimeout(ctx, wake)
	fetches := w.cl.PollRecords(pollCtx, w.cfg.MaxPollRecords)
	cancel()
	if fetches.IsClientClosed() {
		return nil, ExitOK, true
	}
	code, fatal := w.fetchErrors(ctx, fetches)
	return fetches, code, fatal
}

// noteLag keeps the lag for the progress line: the high watermarks a poll
// brought, less where this run will read next, over the partitions it holds.
func (w *worker) noteLag(fetches kgo.Fetches) {
	if w.hwm == nil {
		w.hwm = map[int32]int64{}
	}
	fetches.EachPartition(func(p kgo.FetchTopicPartition) {
		if p.HighWatermark >= 0 {
			w.hwm[p.Partition] = p.HighWatermark
		}
	})
	var lag int64
	w.mu.Lock()
	for p, end := range w.hwm {
		if next, ok := w.fetched[p]; ok && w.owned[p] && end > next {
			lag += end - next
		}
	}
	w.mu.Unlock()
	w.lag.Store(lag)
}

// progress prints, once a second until quit, what the run did: records
// processed, the rate over the last second, lag and commits (PRINT=progress).
func (w *worker) progress(quit <-chan struct{}) {
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	last, lastAt := int64(0), time.Now()
	for {
		select {
		case <-quit:
			return
		case now := <-tick.C:
			n := w.processed.Load()
			w.out.printf("progress: %d processed (%.0f/s), lag %d, %d commits",
				n, float64(n-last)/now.Sub(lastAt).Seconds(), w.lag.Load(), w.commits.count())
			last, lastAt = n, now
		}
	}
}

// commitDue says, after a record, whether CommitPer wants a commit now, and
// why (the commit line's word), or "".
func (w *worker) commitDue() string {
	if w.s.Commit == nil {
		return ""
	}
	switch p := w.s.CommitPer; p.Kind {
	case "record":
		return "record"
	case "count":
		if w.sinceCommit >= p.Count {
			return "count"
		}
	case "time":
		if time.Since(w.lastCommit) >= p.Every {
			return "time"
		}
	}
	return ""
}

// process does the pretend work, writes the record's line, does the
// strategy's effect, then lets the strategy mark it. The order matters: the
// line is in the log before the effect and before the offset can be
// committed, so the log (every delivery) never misses a committed record or
// a stored effect. It returns only an effect's error.
func (w *worker) process(ctx context.Context, r *kgo.Record) error {
	if w.firstAt.IsZero() {
		w.firstAt = time.Now()
		w.out.printf("first record %.2fs after start", w.firstAt.Sub(w.start).Seconds())
	}
	w.work(ctx, r)
	// The event before the log line: a process killed between the two
	// leaves an event the processed log does not confirm, which a reader
	// can drop (the log is the ground truth), never the other way round.
	w.event(events.Event{Kind: events.Processed, Partition: events.P(r.Partition), Offset: events.O(r.Offset)})
	e := processedlog.Entry{Partition: r.Partition, Offset: r.Offset, Key: string(r.Key), Value: string(r.Value)}
	if err := w.log.Append(e); err != nil {
		// Not written means not processed: exit without committing it.
		w.out.printf("error: %v; exiting without committing this record", err)
		os.Exit(ExitCrash)
	}
	skipped := ""
	if w.s.Effect != nil {
		// Not stopped by Ctrl+C: a transaction begun is finished.
		var err error
		if skipped, err = w.s.Effect(context.WithoutCancel(ctx), w.cl, r); err != nil {
			return err
		}
		if skipped == "" {
			w.effects++
		} else {
			w.skipped++
		}
	}
	if w.s.Processed != nil {
		w.s.Processed(w.cl, r)
	}
	n := w.processed.Add(1)
	w.mu.Lock()
	if last, ok := w.position[r.Partition]; !ok || r.Offset > last.Offset {
		w.position[r.Partition] = r
	}
	w.fetched[r.Partition] = r.Offset + 1
	w.mu.Unlock()
	w.lastAt = time.Now()
	if w.cfg.Print != "records" {
		return nil
	}
	crash := ""
	if w.cfg.Crash > 0 {
		crash = fmt.Sprintf(" (crash at %d)", w.cfg.Crash)
	}
	w.out.printf("processed p%d@%d %s %q  [%d this run%s]", r.Partition, r.Offset, r.Key, r.Value, n, crash)
	if skipped != "" {
		w.out.printf("%s", skipped)
	}
	return nil
}

// endTransaction ends the batch's transaction: a commit when the whole batch
// was processed, else an abort (the batch was cut short: ending with a commit
// would commit the offsets of records never processed). It says what went
// with it. Ending a transaction fails only for good (kgo retries inside).
func (w *worker) endTransaction(whole bool, records int) (int, bool) {
	var sent map[int32]int64
	ctx := kgo.PreTxnCommitFnContext(context.Background(), func(req *kmsg.TxnOffsetCommitRequest) error {
		sent = map[int32]int64{}
		for _, t := range req.Topics {
			if t.Topic == w.cfg.Topic {
				for _, p := range t.Partitions {
					sent[p.Partition] = p.Offset
				}
			}
		}
		return nil
	})
	try := kgo.TryCommit
	if !whole {
		try = kgo.TryAbort
	}
	committed, err := w.sess.End(ctx, try)
	switch {
	case err != nil:
		w.commitFailed("transaction", nil, err)
		w.out.printf("transaction FAILED: %v. Stopping: its %d tickets are discarded, and a restart processes its records again", err, records)
		return ExitSettings, true
	case committed:
		w.commits.report("transaction", sent)
	case !whole:
		w.commitFailed("transaction", nil, errors.New("aborted: the batch was cut short"))
		w.out.printf("transaction ABORTED: the batch was cut short after %d records; their tickets are discarded, a restart processes them again", records)
	default:
		w.commitFailed("transaction", nil, errors.New("aborted: the group rebalanced during it"))
		w.out.printf("transaction ABORTED: the group rebalanced during it; its %d tickets are discarded, whoever holds the partitions now processes the records again", records)
	}
	return 0, false
}

// spans is "p0@5-9, p1@0" for a batch of records, in the order polled.
func spans(rs []*kgo.Record) string {
	var out []string
	for i := 0; i < len(rs); {
		j := i
		for j+1 < len(rs) && rs[j+1].Partition == rs[i].Partition {
			j++
		}
		span := fmt.Sprintf("p%d@%d", rs[i].Partition, rs[i].Offset)
		if j > i {
			span += fmt.Sprintf("-%d", rs[j].Offset)
		}
		out = append(out, span)
		i = j + 1
	}
	return strings.Join(out, ", ")
}

// adjust is kgo's AdjustFetchOffsetsFn for a strategy that keeps its own
// offsets: every partition kgo was just assigned starts where Resume says,
// never at the group's committed offset (a copy at best, and possibly ahead
// of what the strategy's own store has).
func (w *worker) adjust(ctx context.Context, offsets map[string]map[int32]kgo.Offset) (map[string]map[int32]kgo.Offset, error) {
	stored, err := w.s.Resume(ctx)
	if err != nil {
		// kgo would end the group session and try again, and again: the run
		// stops instead, as it does when an effect cannot be stored.
		err = fmt.Errorf("cannot read where to resume: %w", err)
		select {
		case w.halt <- err:
		default:
		}
		return nil, err
	}
	var from []string
	w.mu.Lock()
	for p := range offsets[w.cfg.Topic] {
		next, ok := stored[p]
		if !ok {
			offsets[w.cfg.Topic][p] = w.resetOffset()
			from = append(from, fmt.Sprintf("p%d from the %s offset (nothing stored)", p, map[bool]string{false: "earliest", true: "latest"}[w.cfg.ResetLatest]))
			continue
		}
		// Epoch -1: no truncation check against a leader epoch this offset
		// never had (kgo's advice for offsets that come from elsewhere).
		offsets[w.cfg.Topic][p] = kgo.NewOffset().At(next).WithEpoch(-1)
		w.fetched[p] = next
		from = append(from, fmt.Sprintf("p%d at %d", p, next))
	}
	w.mu.Unlock()
	slices.Sort(from)
	w.out.printf("resuming %s, as %s has it", strings.Join(from, ", "), w.s.ResumeFrom)
	if w.s.Commit != nil && w.waitClient(ctx) {
		w.catchUp(ctx, stored, offsets[w.cfg.Topic])
	}
	return offsets, nil
}

// waitClient waits until w.cl is set. kgo joins the group in the background
// as soon as NewClient has made the client, and calls the callbacks given to
// it (where to resume, a revoke) from there, possibly before NewClient has
// returned it to the worker (seen under load: a nil client).
func (w *worker) waitClient(ctx context.Context) bool {
	select {
	case <-w.clReady:
		return true
	case <-ctx.Done():
		return false
	}
}

// catchUp commits, for a strategy that keeps its own offsets and commits a
// copy to Kafka, the stored offsets Kafka's copy is behind on: a run killed
// after its store had the offsets and before the copy went out would
// otherwise leave the group's lag too high until the partition sees new
// records.
func (w *worker) catchUp(ctx context.Context, stored map[int32]int64, assigned map[int32]kgo.Offset) {
	committed := w.commits.known()
	behind := map[int32]kgo.EpochOffset{}
	for p := range assigned {
		next, ok := stored[p]
		if c, copied := committed[p]; ok && (!copied || c < next) {
			behind[p] = kgo.EpochOffset{Epoch: -1, Offset: next}
		}
	}
	if len(behind) == 0 {
		return
	}
	w.cl.CommitOffsetsSync(ctx, map[string]map[int32]kgo.EpochOffset{w.cfg.Topic: behind},
		func(_ *kgo.Client, req *kmsg.OffsetCommitRequest, resp *kmsg.OffsetCommitResponse, err error) {
			w.commits.answered("resume", req, resp, err)
		})
}

// crash is the lesson's failure: exit at once with no commit, no Close and no
// LeaveGroup, as if the process died. Whatever was committed before now is
// what a restart resumes from.
func (w *worker) crash(r *kgo.Record) {
	w.out.printf("CRASH=%d reached at p%d@%d: exit(1) now, without committing or leaving the group; committed so far: %s",
		w.cfg.Crash, r.Partition, r.Offset, w.commits.summary(w.partitions))
	if w.s.Transact {
		w.out.printf("the batch's transaction stays open, its tickets written but not committed: the next run of INSTANCE=%d aborts it (without one, the broker does after TRANSACTION_TIMEOUT)", w.cfg.Instance)
	}
	w.summary("crash")
	pprof.StopCPUProfile()
	w.event(events.Event{Kind: events.Crash, Partition: events.P(r.Partition), Offset: events.O(r.Offset),
		Detail: fmt.Sprintf("CRASH=%d", w.cfg.Crash)})
	os.Exit(ExitCrash)
}

func (w *worker) summary(how string) {
	rate := ""
	n := w.processed.Load()
	if took := w.lastAt.Sub(w.firstAt); n > 1 && took > 0 {
		rate = fmt.Sprintf(" (%.0f/s)", float64(n-1)/took.Seconds())
	}
	w.out.printf("stats: %d records in %.3f s from the first to the last%s; %s",
		n, w.lastAt.Sub(w.firstAt).Seconds(), rate, w.commitTimes.line())
	effects := ""
	if w.s.Effect != nil {
		effects = fmt.Sprintf(" effects=%d skipped=%d", w.effects, w.skipped)
	}
	w.out.printf("summary strategy=%s processed=%d%s commits=%d committed=%s exit=%s",
		w.s.Name, n, effects, w.commits.count(), strings.ReplaceAll(w.commits.summary(w.partitions), " ", ","), how)
}

// fetchErrors reports what a poll brought besides records. Only errors that
// waiting cannot cure end the run: a broker that went away is waited for
// (kgo keeps trying to reach it and rejoins the group by itself).
func (w *worker) fetchErrors(ctx context.Context, fetches kgo.Fetches) (int, bool) {
	code, fatal := 0, false
	fetches.EachError(func(topic string, p int32, err error) {
		if fatal {
			return
		}
		var gs *kgo.ErrGroupSession
		switch {
		case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		case errors.Is(err, kerr.FencedInstanceID):
			code, fatal = w.fenced(), true
		case unreachable(err):
			// Old news by the time a poll hands it over (kgo queues it when
			// the group session ends, and the loop may have been busy):
			// kgo's dial hook has already said the broker went, and says
			// when it is back.
		case errors.Is(err, kerr.UnknownTopicOrPartition), errors.Is(err, kerr.UnknownTopicID):
			if _, perr := w.adm.Partitions(ctx, w.cfg.Topic); errors.Is(perr, cluster.ErrTopicMissing) {
				w.out.printf("error: topic %s was deleted while this run read it: waiting cannot bring it back, stopping", w.cfg.Topic)
				code, fatal = ExitSettings, true
			}
		case errors.Is(err, kerr.UnreleasedInstanceID) && w.cfg.GroupProtocol == "consumer":
			// KIP-848 keeps a static member that did not leave (a crash, a
			// kill) until its session times out; only then may a new process
			// take its instance id. The classic protocol hands it over at once.
			w.unreleased.Store(true)
			if !w.unreleasedSaid {
				w.unreleasedSaid = true
				w.out.printf("the group still holds static member %s for the run before this one (it did not leave: a crash or a kill). Under GROUP_PROTOCOL=consumer (KIP-848) the broker frees it only when that member's session times out (group.consumer.session.timeout.ms, 45 s by default); waiting (the classic protocol hands the id over at once)", w.id)
			}
		case errors.As(err, &gs) && !curable(err):
			w.out.printf("error: group session ended for good: %v (waiting cannot cure this: stopping)", err)
			code, fatal = ExitSettings, true
		case errors.As(err, &gs):
			w.out.printf("group session ended: %v; kgo rejoins the group by itself", err)
		default:
			w.out.printf("fetch error on %s p%d: %v (kgo retries)", topic, p, err)
		}
	})
	return code, fatal
}

// kgoCommitErr is the first per-partition error of a commit response.
func kgoCommitErr(resp *kmsg.OffsetCommitResponse) error {
	for _, t := range resp.Topics {
		for _, p := range t.Partitions {
			if err := kerr.ErrorForCode(p.ErrorCode); err != nil {
				return err
			}
		}
	}
	return nil
}

// fenced explains FENCED_INSTANCE_ID and returns its exit code.
func (w *worker) fenced() int {
	w.out.printf("error: fenced: another process joined group %s as static member %s, so the broker dropped this one. "+
		"Each running copy needs its own INSTANCE (this one has INSTANCE=%d): stop the other copy, or start this one with another INSTANCE",
		w.cfg.Group, w.id, w.cfg.Instance)
	return ExitFenced
}

// unreachable says whether err means the broker could not be reached (a
// refused or broken connection), as opposed to an answer from a broker.
func unreachable(err error) bool {
	return kgo.IsRetryableBrokerErr(err) || errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, syscall.ECONNRESET)
}

// curable says whether waiting (kgo retrying, the group rebalancing, a broker
// coming back) can make err go away.
func curable(err error) bool {
	if unreachable(err) || kerr.IsRetriable(err) || groupMoved(err) {
		return true
	}
	var ke *kerr.Error
	if !errors.As(err, &ke) {
		// Not an answer from the broker (a timeout, a closed connection):
		// worth waiting for.
		return true
	}
	return false
}

// droppedMember says whether a commit was refused because the group no
// longer counts this member in (its generation or epoch is gone): the
// partitions it held may have gone to another member meanwhile.
func droppedMember(err error) bool {
	return errors.Is(err, kerr.IllegalGeneration) || errors.Is(err, kerr.UnknownMemberID) ||
		errors.Is(err, kerr.StaleMemberEpoch) || errors.Is(err, kerr.FencedMemberEpoch)
}

// groupMoved says whether a commit was refused because the group has a newer
// generation than this member: it can only succeed after the member rejoined.
func groupMoved(err error) bool {
	return errors.Is(err, kerr.IllegalGeneration) || errors.Is(err, kerr.RebalanceInProgress) ||
		errors.Is(err, kerr.UnknownMemberID) || errors.Is(err, kerr.StaleMemberEpoch)
}

// caughtUp says whether every partition assigned to this member has been read
// to its log end: an idle run only stops once there is nothing left for it,
// never because one partition happened to deliver first.
func (w *worker) caughtUp(ctx context.Context) (bool, string) {
	memberID, _ := w.cl.GroupMetadata()
	g, err := w.adm.DescribeGroup(ctx, w.cfg.Group, w.cfg.Topic)
	if err != nil {
		return false, fmt.Sprintf("the group could not be described (%v)", err)
	}
	if g.State != "Stable" {
		return false, fmt.Sprintf("the group is %s", g.State)
	}
	var assigned []int32
	found := false
	for _, m := range g.Members {
		if m.MemberID == memberID {
			assigned, found = m.Assigned, true
		}
	}
	if !found {
		return false, "this member is not in the group yet"
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	for _, po := range g.Partitions {
		if !slices.Contains(assigned, po.Partition) {
			continue
		}
		// Where this member reads next: past what it was handed since the
		// partition was assigned, or else where the group resumes. Not what
		// the run processed before: a member that lost the group re-reads
		// from the last commit.
		pos := po.Resume()
		next, ok := w.fetched[po.Partition]
		if ok && next > pos {
			pos = next
		}
		if !ok && po.Committed < 0 && w.cfg.ResetLatest {
			// Nothing committed and nothing handed over yet: RESET=latest
			// started this member at the end, whatever came before.
			pos = po.LogEnd
		}
		if pos < po.LogEnd {
			return false, fmt.Sprintf("p%d is at %d of log end %d", po.Partition, pos, po.LogEnd)
		}
	}
	return true, ""
}

// shutdown: close (kgo's own final commit happens here for auto-commit), then
// remove the static member, which kgo does not do on Close.
func (w *worker) shutdown(code int) {
	w.commits.closing.Store(true)
	w.cl.CloseAllowingRebalance()
	if code == ExitFenced {
		// The static member id now belongs to the other process: leave it be.
		w.summary("fenced")
		w.event(events.Event{Kind: events.Stop, Cause: "fenced"})
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), cluster.ReachTimeout)
	defer cancel()
	if err := w.adm.RemoveStaticMember(ctx, w.cfg.Group, w.id); err != nil {
		w.out.printf("warning: %v (the broker drops it when its session times out)", err)
	} else {
		w.out.printf("left group %s (removed static member %s)", w.cfg.Group, w.id)
	}
	how := "clean"
	if code != ExitOK {
		how = "error"
	}
	w.summary(how)
	w.event(events.Event{Kind: events.Stop, Cause: how, Offsets: events.OffsetsOf(w.commits.known())})
}

// settings is the line that says how this run is set up.
func (w *worker) settings() string {
	cfg := w.cfg
	s := fmt.Sprintf("CRASH=%d WORK_DELAY=%s MAX_POLL_RECORDS=%d", cfg.Crash, cfg.WorkDelay, cfg.MaxPollRecords)
	if cfg.WorkHold != "" {
		s += " WORK_HOLD=" + cfg.WorkHold
	}
	if cfg.CommitEvery > 0 {
		s += " COMMIT_EVERY=" + cfg.CommitEvery.String()
	}
	s += fmt.Sprintf(" IDLE_EXIT=%s LOG=%s EVENTS=%s", durOrNever(cfg.IdleExit), cfg.Log, cfg.Events)
	if cfg.Greedy {
		s += " GREEDY=1"
	}
	if cfg.ResetLatest {
		s += " RESET=latest"
	}
	if cfg.Database.Kind != "" {
		s += " DATABASE_URL=" + cfg.Database.Redacted()
	}
	if k := cfg.CommitPer.Kind; k != "" && k != "batch" {
		s += " COMMIT_PER=" + cfg.CommitPer.String()
	}
	if cfg.Output != "" {
		s += fmt.Sprintf(" OUTPUT_TOPIC=%s TRANSACTION_TIMEOUT=%s", cfg.Output, cfg.TransactionTimeout)
	}
	if cfg.GroupProtocol != "" && cfg.GroupProtocol != "classic" {
		s += " GROUP_PROTOCOL=" + cfg.GroupProtocol
	}
	if cfg.Poison != "" {
		s += fmt.Sprintf(" POISON=%s ON_FAIL=%s", cfg.Poison, cfg.OnFail)
	}
	if cfg.RebalanceTimeout != 60*time.Second && cfg.RebalanceTimeout != 0 {
		s += " REBALANCE_TIMEOUT=" + cfg.RebalanceTimeout.String()
	}
	return s
}

func (w *worker) resetOffset() kgo.Offset {
	if w.cfg.ResetLatest {
		return kgo.NewOffset().AtEnd()
	}
	return kgo.NewOffset().AtStart()
}

// event appends e to the events log. The events are for pictures, not for
// correctness: a failed write is said once, and the run goes on.
func (w *worker) event(e events.Event) {
	if err := w.events.Write(e); err != nil {
		w.out.printf("warning: %v; this run's timeline will be incomplete (the processed log is not affected)", err)
	}
}

// commitFailed records a failed commit try in the events log.
func (w *worker) commitFailed(why string, p *int32, err error) {
	w.event(events.Event{Kind: events.CommitFailed, Cause: why, Partition: p, Detail: err.Error()})
}

func durOrNever(d time.Duration) string {
	if d == 0 {
		return "0 (never)"
	}
	return d.String()
}

// printer writes whole lines, one at a time, from any goroutine.
type printer struct {
	mu     sync.Mutex
	w      io.Writer
	prefix string
}

func (p *printer) printf(format string, args ...any) {
	p.mu.Lock()
	defer p.mu.Unlock()
	fmt.Fprintf(p.w, "%s %s | %s\n", time.Now().Format("15:04:05.000"), p.prefix, fmt.Sprintf(format, args...))
}
