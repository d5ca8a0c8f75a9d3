package config

import "time"

// ClientDefaults are what differ between the consumers over other clients
// (kafka-go, confluent-kafka-go): their group, their logs, and whether they
// take COMMIT_EVERY (a background committer's interval) and from what.
type ClientDefaults struct {
	Group  string
	Log    string
	Events string
	// CommitEvery is the client's own default interval; TakesCommitEvery
	// whether the binary takes COMMIT_EVERY at all (0 can be a default:
	// kafka-go's CommitInterval 0 commits synchronously).
	TakesCommitEvery bool
	CommitEvery      time.Duration
	CommitEveryMin   time.Duration
}

// ParseClient reads the settings of a consumer over another client: the
// ones of ParseConsumer that every client has (the connection, TOPIC, GROUP,
// INSTANCE, CRASH, WORK_DELAY, LOG, EVENTS, IDLE_EXIT), CRASH_WHEN, and
// COMMIT_EVERY where the client has a background committer. The franz-go
// knobs (MAX_POLL_RECORDS, GREEDY, GROUP_PROTOCOL, ...) are not there: each
// client fetches and commits in its own way, which is the lesson.
func ParseClient(name string, args []string, getenv func(string) string, d ClientDefaults) (Consumer, *Set, error) {
	s := New(name, getenv)
	conn := s.Connection(DefaultBrokers)
	topic := s.Topic(DefaultTopic)
	group := s.Group(d.Group)
	instance := s.Instance()
	crash := s.Int("CRASH", 0, 0, 1_000_000, "exit(1) after this many records in this run, with the next one in hand, without committing or closing the client (0 = never)")
	crashWhen := ChoiceOf(s, "CRASH_WHEN", CrashNow, []CrashWhen{CrashNow, CrashCommitted},
		"now: the crash strikes as the next record is in hand; committed: it waits (a limited time) until the broker has that record as committed, the loss recipe")
	work := s.WorkDelay()
	var every *time.Duration
	if d.TakesCommitEvery {
		every = s.Duration("COMMIT_EVERY", d.CommitEvery, d.CommitEveryMin, time.Hour, "the client's background commit interval")
	}
	log, events := s.Logs(d.Log, d.Events)
	idle := s.IdleExit()
	if err := s.Parse(args); err != nil {
		return Consumer{}, s, err
	}
	c := Consumer{
		Conn:      *conn,
		Topic:     *topic,
		Group:     *group,
		Instance:  *instance,
		Crash:     *crash,
		CrashWhen: *crashWhen,
		WorkDelay: *work,
		Log:       *log,
		Events:    *events,
		IdleExit:  *idle,
		Print:     PrintRecords,
	}
	if every != nil {
		c.CommitEvery = *every
	}
	return c, s, nil
}
