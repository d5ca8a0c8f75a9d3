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
	"fmt"
	"os"
	"runtime/pprof"
	"sync"
	"sync/atomic"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"

	"offsetlab/internal/cluster"
	"offsetlab/internal/config"
	"offsetlab/internal/events"
	"offsetlab/internal/instance"
	"offsetlab/internal/processedlog"
)

// Run runs the consumer until CRASH, a signal, IDLE_EXIT or a fatal error, and
// returns the process exit code. A crash does not return: it is os.Exit(1).
func Run(cfg config.Consumer, s Strategy) int {
	if s.CommitPer.Kind == config.CommitPerNone {
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
	if cfg.GroupProtocol == config.ProtocolConsumer {
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
	w.commits.quiet = cfg.Print != config.PrintRecords
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
	if cfg.GroupProtocol == config.ProtocolConsumer {
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
	if cfg.Print == config.PrintProgress {
		quit := make(chan struct{})
		defer close(quit)
		go w.progress(quit)
	}
	code := w.loop(stop, stopped)
	w.shutdown(code)
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
