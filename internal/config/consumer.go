package config

import (
	"errors"
	"strings"
	"time"
)

// Lab-wide defaults, shared by every binary and by the Makefile's help.
const (
	DefaultBrokers = "127.0.0.1:9092"
	DefaultTopic   = "brew.orders.v1"
	DefaultOutput  = "brew.tickets.v1"
)

// Consumer holds the settings every consumer binary takes.
type Consumer struct {
	Conn     Connection
	Topic    string
	Group    string
	Instance int
	Crash    int
	// CrashWhen: a consumer over another client only (the franz-go
	// consumers crash as the record is done).
	CrashWhen CrashWhen
	WorkDelay time.Duration
	// WorkHold is a file: while it exists, the work of the record in hand
	// does not finish (a downstream call that hangs), so the batch stays in
	// hand for as long as someone decides, not for a guessed time.
	WorkHold       string
	CommitEvery    time.Duration
	MaxPollRecords int
	Log            string
	Events         string
	IdleExit       time.Duration
	Greedy         bool
	// Handoff is how many goroutines the polled records are handed to
	// (a worker pool); 0: the loop works on them itself.
	Handoff int
	// ResetLatest: a group with nothing committed starts at the end of the
	// partitions (Kafka's auto.offset.reset=latest), not the beginning.
	ResetLatest      bool
	RebalanceTimeout time.Duration
	// SessionTimeout is how long the group keeps a member that stopped
	// heartbeating (a crash, a kill): kgo.SessionTimeout under the classic
	// protocol, the group's consumer.session.timeout.ms under KIP-848. 0:
	// as the client and broker default it (45 s).
	SessionTimeout time.Duration
	// GroupProtocol is how the member joins its group: classic (the
	// client-side assignment the lesson describes) or consumer (KIP-848:
	// the broker assigns, rebalances are incremental).
	GroupProtocol GroupProtocol
	// Database is where the effect consumers store their tickets (and
	// db-offsets its offsets); zero for the three commit strategies.
	Database Database
	// Output is the topic the transactional consumer writes its tickets to,
	// and TransactionTimeout how long the broker lets one of its
	// transactions stay open before aborting it.
	Output             string
	TransactionTimeout time.Duration
	// CommitPer is when manual-sync and manual-async commit; zero for the others.
	CommitPer CommitPer
	// Print is what a run prints as it goes.
	Print Print
	// CPUProfile, if set, is where a Go CPU profile of the run goes
	// (go tool pprof reads it): where the lab's own time goes.
	CPUProfile string
	// The share-group consumer only: the key whose work always fails
	// (POISON, "" for none) and how such a record is acknowledged
	// (OnFail: released, handed back for another try, or rejected).
	Poison string
	OnFail OnFail
}

// ConsumerDefaults are what differ between the three binaries.
type ConsumerDefaults struct {
	Group       string
	Log         string
	Events      string
	CommitEvery time.Duration // 0: the binary takes no COMMIT_EVERY (auto-commit is off)
	Greedy      bool          // whether the binary takes GREEDY at all (auto-commit only)
	Handoff     bool          // whether the binary takes HANDOFF (auto-commit only)
	Database    bool          // whether the binary takes DATABASE_URL (the effect consumers)
	Transact    bool          // whether the binary takes OUTPUT_TOPIC and TRANSACTION_TIMEOUT (the transactional consumer)
	CommitPer   bool          // whether the binary takes COMMIT_PER (manual-sync, manual-async)
	Share       bool          // a share group's consumer: POISON and ON_FAIL, no group protocol or rebalance timeout
}

// ParseConsumer reads a consumer's settings from args and the environment.
func ParseConsumer(name string, args []string, getenv func(string) string, d ConsumerDefaults) (Consumer, *Set, error) {
	s := New(name, getenv)
	conn := s.Connection(DefaultBrokers)
	topic := s.Topic(DefaultTopic)
	group := s.Group(d.Group)
	instance := s.Instance()
	crash := s.Int("CRASH", 0, 0, 1_000_000, "exit(1) after this many records in this run, without committing (0 = never)")
	work := s.WorkDelay()
	hold := s.Optional("WORK_HOLD", "a file: while it exists, the work of the record in hand does not finish (a downstream that hangs); remove it and the work goes on", nil)
	var every *time.Duration
	if d.CommitEvery > 0 {
		// kgo refuses an auto-commit interval under 100ms, in words that name no setting.
		every = s.Duration("COMMIT_EVERY", d.CommitEvery, 100*time.Millisecond, time.Hour, "background auto-commit interval")
	}
	maxPoll := s.Int("MAX_POLL_RECORDS", 5, 0, 1_000_000, "records per poll at most (0 = whatever one poll returns)")
	log, events := s.Logs(d.Log, d.Events)
	reset := s.Choice("RESET", "earliest", []string{"earliest", "latest"}, "where a group with nothing committed starts")
	protocol, rebalance, session := new(GroupProtocol), new(time.Duration), new(time.Duration)
	var poison *string
	var onFail *OnFail
	if d.Share {
		poison = s.Optional("POISON", "the key of a record whose work always fails (e.g. order-0007; empty: none)", nil)
		onFail = ChoiceOf(s, "ON_FAIL", OnFailRelease, []OnFail{OnFailRelease, OnFailReject},
			"a record whose work failed is released (delivered again, up to the group's delivery limit) or rejected (archived at once)")
		// Kafka takes a share group's own share.session.timeout.ms; the
		// embedded broker accepts it and goes on timing share sessions by
		// its broker setting (kfake's shareSessionTimeoutMs). One way that
		// works on both: the broker's setting.
		s.Optional("SESSION_TIMEOUT", "not for a share group: its session is the broker's (BROKER_SESSION_TIMEOUT, KAFKA_SESSION_TIMEOUT_MS)", func(string) error {
			return errors.New("a share group's session is the broker's: set BROKER_SESSION_TIMEOUT (the embedded broker) or KAFKA_SESSION_TIMEOUT_MS (make jvm-kafka-up) instead")
		})
	} else {
		protocol = s.GroupProtocol("classic: the members assign partitions (the lesson's protocol); consumer: KIP-848, the broker assigns")
		rebalance = s.Duration("REBALANCE_TIMEOUT", 60*time.Second, 500*time.Millisecond, time.Hour,
			"how long the broker waits for this member to rejoin a rebalance before it drops it (kgo.RebalanceTimeout)")
		// Kafka's bounds: group.min.session.timeout.ms (6 s) for a classic
		// group; group.consumer.min.session.timeout.ms (45 s by default,
		// 6 s on the lab's Kafka) under KIP-848, whose broker says no
		// with its reason when a value is out of its bounds.
		s.Optional("SESSION_TIMEOUT", "how long the group keeps a member that stopped heartbeating, a crash (kgo.SessionTimeout; KIP-848: the group's consumer.session.timeout.ms); empty: 45s, the client's and broker's default", func(v string) error {
			d, err := time.ParseDuration(strings.TrimSpace(v))
			if err != nil || d < 6*time.Second || d > 5*time.Minute {
				return errors.New("want a duration from 6s to 5m, such as 6s")
			}
			*session = d
			return nil
		})
	}
	print := ChoiceOf(s, "PRINT", PrintRecords, []Print{PrintRecords, PrintProgress, PrintNone},
		"a line per record and commit, a progress line a second instead, or neither")
	cpuProfile := s.Optional("CPUPROFILE", "write a Go CPU profile of the run to this file (for go tool pprof)", nil)
	idle := s.IdleExit()
	var greedy *bool
	if d.Greedy {
		greedy = s.Bool("GREEDY", false, "commit what was polled, not one poll behind (kgo.GreedyAutoCommit)")
	}
	var handoff *int
	if d.Handoff {
		handoff = s.Int("HANDOFF", 0, 0, 64, "hand each polled batch to this many goroutines and poll again at once, a worker pool (0 = the loop works on each record itself)")
	}
	var output *string
	var txnTimeout *time.Duration
	if d.Transact {
		output = s.OutputTopic(DefaultOutput)
		// kgo's default; Kafka refuses more than its transaction.max.timeout.ms (15 min by default).
		txnTimeout = s.Duration("TRANSACTION_TIMEOUT", 40*time.Second, time.Second, 15*time.Minute,
			"how long the broker keeps a transaction of this producer open before aborting it (kgo.TransactionTimeout)")
	}
	var commitPer *CommitPer
	if d.CommitPer {
		commitPer = s.CommitPer()
	}
	var database *Database
	if d.Database {
		database = s.DatabaseURL()
	}
	if err := s.Parse(args); err != nil {
		return Consumer{}, s, err
	}
	c := Consumer{
		Conn:           *conn,
		Topic:          *topic,
		Group:          *group,
		Instance:       *instance,
		Crash:          *crash,
		WorkDelay:      *work,
		WorkHold:       *hold,
		MaxPollRecords: *maxPoll,
		Log:            *log,
		Events:         *events,
		IdleExit:       *idle,
		ResetLatest:    *reset == "latest",
		Print:          *print,
		CPUProfile:     *cpuProfile,

		RebalanceTimeout: *rebalance,
		SessionTimeout:   *session,
		GroupProtocol:    *protocol,
	}
	if every != nil {
		c.CommitEvery = *every
	}
	if greedy != nil {
		c.Greedy = *greedy
	}
	if handoff != nil {
		c.Handoff = *handoff
	}
	if database != nil {
		c.Database = *database
	}
	if output != nil {
		c.Output, c.TransactionTimeout = *output, *txnTimeout
	}
	if commitPer != nil {
		c.CommitPer = *commitPer
	}
	if poison != nil {
		c.Poison, c.OnFail = *poison, *onFail
	}
	return c, s, nil
}

// The settings every consumer takes, one definition each.

// Instance is the copy number (INSTANCE).
func (s *Set) Instance() *int {
	return s.Int("INSTANCE", 1, 1, 9999, "copy number, one process per number; the static member id is GROUP-INSTANCE (kafka-go has none)")
}

// WorkDelay is the pretend work per record (WORK_DELAY).
func (s *Set) WorkDelay() *time.Duration {
	return s.Duration("WORK_DELAY", 50*time.Millisecond, 0, time.Hour, "pretend work per record")
}

// Logs are the processed log (LOG) and the events log (EVENTS).
func (s *Set) Logs(log, events string) (*string, *string) {
	return s.String("LOG", log, "processed log, one line per processed record"),
		s.String("EVENTS", events, "events log: one JSON line per event of the run (what the timeline draws)")
}

// IdleExit is when a run stops by itself (IDLE_EXIT).
func (s *Set) IdleExit() *time.Duration {
	return s.Duration("IDLE_EXIT", 0, 0, time.Hour, "stop cleanly once caught up and no record came for this long (0 = run until Ctrl+C)")
}
