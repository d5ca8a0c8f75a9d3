// admin is the lab's kafka-topics / kafka-consumer-groups, built on franz-go's
// kadm so that no Kafka scripts are needed:
//
//	admin ping                  is a broker answering on BROKERS?
//	admin topic-create          TOPIC with PARTITIONS partitions
//	admin topic-delete          TOPIC (waits until it is gone)
//	admin topic-describe        TOPIC: partitions, leaders, log start and end
//	admin groups                every group: state, members, total lag
//	admin group-describe        GROUP: state, protocol, members, committed / log end / lag per partition
//	admin group-watch           the same every INTERVAL, with the lag's trend (ONCE=1: one sample)
//	admin group-reset           move GROUP's offsets to TO; a dry run unless EXECUTE=1
//	admin group-remove-member   remove the static member GROUP-INSTANCE (a crashed copy)
//	admin group-delete          GROUP (comma-separated for several): forget its committed offsets
//	admin count                 LOG: total, unique offsets, duplicates and lost against TOPIC
//	admin count-effects         GROUP's tickets in DATABASE_URL against TOPIC's orders, then LOG's count
//	admin count-share         LOG of a share group (GROUP): deliveries, redelivered, archived and lost, and the group as the broker reports it
//	admin count-output          OUTPUT_TOPIC's tickets as read_committed and read_uncommitted readers see them, then LOG's count
//	admin tickets-clear         forget GROUP's tickets, idempotency keys and stored offsets for TOPIC
//	admin user-add              create the SCRAM user NEW_USER (password in NEW_PASSWORD or NEW_PASSWORD_FILE)
//
// Settings are flags or environment variables, as for the consumers.
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"sort"
	"strings"
	"syscall"
	"time"

	"offsetlab/internal/advice"
	"offsetlab/internal/cluster"
	"offsetlab/internal/config"
)

type settings struct {
	conn        config.Connection
	topic       string
	group       string
	partitions  int
	replication int
	log         string
	database    config.Database
	output      string
	to          cluster.ResetSpec
	toGiven     bool
	execute     bool
	partition   int
	instance    int
	interval    time.Duration
	once        bool

	newUser      string
	newPassword  config.Secret
	newMechanism string
}

// Each command gets an admin client on BROKERS, dialled (and checked) once in
// main; nil for count, which must still count when no broker answers.
var commands = map[string]func(context.Context, settings, *cluster.Client) error{
	"ping":                ping,
	"topic-create":        topicCreate,
	"topic-delete":        topicDelete,
	"topic-describe":      topicDescribe,
	"groups":              groups,
	"group-describe":      groupDescribe,
	"group-coordinator":   groupCoordinator,
	"offsets-log":         offsetsLog,
	"group-watch":         groupWatch,
	"group-reset":         groupReset,
	"group-remove-member": groupRemoveMember,
	"group-delete":        groupDelete,
	"count":               count,
	"count-effects":       countEffects,
	"count-output":        countOutput,
	"count-share":         countShare,
	"tickets-clear":       ticketsClear,
	"user-add":            userAdd,
}

func usage() string {
	names := make([]string, 0, len(commands))
	for n := range commands {
		names = append(names, n)
	}
	sort.Strings(names)
	return "usage: admin COMMAND [flags]   (admin COMMAND -h lists the settings)\ncommands: " + strings.Join(names, ", ")
}

func main() {
	if len(os.Args) < 2 || strings.HasPrefix(os.Args[1], "-") {
		fmt.Fprintln(os.Stderr, usage())
		os.Exit(2)
	}
	cmd := os.Args[1]
	run, ok := commands[cmd]
	if !ok {
		fmt.Fprintf(os.Stderr, "admin: unknown command %q\n%s\n", cmd, usage())
		os.Exit(2)
	}

	s := config.New("admin "+cmd, os.Getenv)
	conn := s.Connection(config.DefaultBrokers)
	topic := s.Topic(config.DefaultTopic)
	group := s.Groups("kitchen-auto", "consumer group(s), comma-separated where several make sense")
	partitions := s.Int("PARTITIONS", 3, 1, 1000, "partitions for topic-create")
	replication := s.Int("REPLICATION", 1, 1, 9, "replicas of each partition for topic-create (3 on a three-node cluster)")
	log := s.String("LOG", "processed-auto.log", "processed log to count")
	to := s.Optional("TO", "where group-reset moves the offsets: "+cluster.ResetForms, func(v string) error {
		_, err := cluster.ParseResetSpec(v)
		return err
	})
	execute := s.Bool("EXECUTE", false, "1: group-reset applies the reset (default: a dry run)")
	partition := s.Int("PARTITION", -1, -1, 1_000_000, "limit group-reset to this partition (-1 = all)")
	instance := s.Int("INSTANCE", 1, 1, 9999, "group-remove-member removes static member GROUP-INSTANCE")
	interval := s.Duration("INTERVAL", time.Second, 100*time.Millisecond, time.Hour, "group-watch refresh interval")
	once := s.Bool("ONCE", false, "1: group-watch prints one sample and exits (for scripts)")
	database := s.DatabaseURL()
	output := s.OutputTopic(config.DefaultOutput)
	newUser := s.NewUser()
	if err := s.Parse(os.Args[2:]); err != nil {
		os.Exit(config.Fail("admin "+cmd, s, err))
	}
	st := settings{conn: *conn, topic: *topic, group: *group, partitions: *partitions, replication: *replication, log: *log,
		execute: *execute, partition: *partition, instance: *instance, interval: *interval, once: *once, database: *database, output: *output,
		newUser: newUser.Name, newPassword: newUser.Password, newMechanism: newUser.Mechanism}
	if *to != "" {
		st.to, _ = cluster.ParseResetSpec(*to) // validated by Parse
		st.toGiven = true
	}

	// Ctrl+C ends a watch cleanly (and cancels anything else in flight).
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	var adm *cluster.Client
	if cmd != "count" {
		var err error
		if adm, err = cluster.Dial(ctx, st.conn); err != nil {
			fail(cmd, err)
		}
		defer adm.Close()
	}
	if err := run(ctx, st, adm); err != nil {
		if adm != nil {
			adm.Close()
		}
		fail(cmd, err)
	}
}

func fail(cmd string, err error) {
	fmt.Fprintf(os.Stderr, "admin %s: error: %s\n", cmd, advice.Error(err))
	os.Exit(2)
}

// ping: main has already dialled and pinged the broker.
func ping(_ context.Context, s settings, _ *cluster.Client) error {
	fmt.Printf("a broker answers at %s\n", s.conn.Describe())
	return nil
}
