package worker

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"

	"offsetlab/internal/config"
)

// newClient makes the consumer group's client, with every kgo option the
// lab's consumers share, then the strategy's own (Strategy.Opts).
func (w *worker) newClient(ctx context.Context) error {
	cfg := w.cfg
	var err error
	opts := append(w.clientOpts(ctx),
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
			if w.dead.Load() {
				return // crashed: what a dead process would have printed
			}
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
		// How long each commit request took (the stats line).
		kgo.WithHooks(w.commitTimes),
	)
	if cfg.GroupProtocol == config.ProtocolConsumer {
		// KIP-848: the member tells the broker what it subscribes to and the
		// group coordinator assigns the partitions, one member at a time,
		// without stopping the others. kgo speaks it with a sticky or range
		// balancer only (the broker's "uniform" or "range" assignor).
		opts = append(opts, kgo.ServerSideBalancer(), kgo.Balancers(kgo.StickyBalancer()))
	} else if cfg.SessionTimeout > 0 {
		// Classic: the member asks for its session in every JoinGroup; the
		// broker drops a member it has not heard from for that long (a
		// crash without static membership's hand-over waits it out).
		// Under KIP-848 the session is the group's: see groupSession.
		opts = append(opts, kgo.SessionTimeout(cfg.SessionTimeout))
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
		return fmt.Errorf("consumer client: %w", err)
	}
	close(w.clReady)
	if w.s.Transact {
		return w.registerTransactionalID(ctx)
	}
	return nil
}

// clientOpts are the options of every client a run makes, whichever group
// it joins, and they set w.die.
func (w *worker) clientOpts(ctx context.Context) []kgo.Opt {
	cctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	w.die = func() { w.dead.Store(true); cancel() }
	// Where the cluster is and, on a secured one, SASL and TLS (BROKERS,
	// SASL_*, TLS*): the same for every client the lab makes.
	return append(w.cfg.Conn.Opts(),
		// The client's own context, not the run's: a stop (Ctrl+C) must not
		// cut the commits (or answers) and the leave that follow it; only a
		// crash cancels it (die).
		kgo.WithContext(cctx),
		kgo.DialTimeout(2*time.Second),
		// How long the broker may hold a fetch that has nothing to return.
		// kgo's default is 5s (Java's fetch.max.wait.ms is 500ms), and a
		// partition whose start offset kgo is still looking up waits for the
		// fetch in flight: a restart whose other partitions were read to the
		// end sat idle for 5s before its first record.
		kgo.FetchMaxWait(500*time.Millisecond),
		// A broker that goes away is waited for: kgo's dials say when it
		// went and when it came back.
		kgo.WithHooks(w.broker),
		kgo.WithLogger(kgoLog{w}),
	)
}

// protocolSupported refuses GROUP_PROTOCOL=consumer on a broker without
// KIP-848: kgo would fall back to the classic protocol without a word.
func (w *worker) protocolSupported(ctx context.Context) error {
	if w.cfg.GroupProtocol != config.ProtocolConsumer {
		return nil
	}
	ok, which, err := w.adm.Supports(ctx, kmsg.ConsumerGroupHeartbeat, 1)
	if err != nil {
		return err
	}
	if !ok {
		return fmt.Errorf("GROUP_PROTOCOL=consumer: %s, the KIP-848 group protocol (kgo needs v1: Kafka 4.0 or later); use GROUP_PROTOCOL=classic", which)
	}
	return nil
}

// groupSession sets, under KIP-848, the group's consumer.session.timeout.ms
// to SESSION_TIMEOUT: there the session is the group's, set on the broker
// (kgo.SessionTimeout applies to the classic protocol only). A broker that
// refuses the value (Kafka: outside group.consumer.min/max.session.timeout.ms,
// 45 s to 60 s by default) refuses the start, with its reason.
func (w *worker) groupSession(ctx context.Context) error {
	if w.cfg.GroupProtocol != config.ProtocolConsumer || w.cfg.SessionTimeout == 0 {
		return nil
	}
	// Heartbeats three times a session at least (Kafka's default is one
	// every 5 s), or a live member could be timed out.
	beat := min(5*time.Second, w.cfg.SessionTimeout/3)
	ms := func(d time.Duration) string { return strconv.FormatInt(d.Milliseconds(), 10) }
	for _, c := range [][2]string{
		{"consumer.heartbeat.interval.ms", ms(beat)},
		{"consumer.session.timeout.ms", ms(w.cfg.SessionTimeout)},
	} {
		if err := w.adm.SetGroupConfig(ctx, w.cfg.Group, c[0], c[1]); err != nil {
			return fmt.Errorf("SESSION_TIMEOUT=%s: under GROUP_PROTOCOL=consumer the session is the group's, and the broker refused it: %w", w.cfg.SessionTimeout, err)
		}
	}
	w.out.Printf("group %s: consumer.session.timeout.ms=%s, consumer.heartbeat.interval.ms=%s (SESSION_TIMEOUT): a member that stops heartbeating keeps its partitions, and its static id, that long",
		w.cfg.Group, ms(w.cfg.SessionTimeout), ms(beat))
	return nil
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

func (w *worker) resetOffset() kgo.Offset {
	if w.cfg.ResetLatest {
		return kgo.NewOffset().AtEnd()
	}
	return kgo.NewOffset().AtStart()
}
