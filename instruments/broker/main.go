// broker runs the lab's embedded Kafka-compatible broker: franz-go's kfake,
// one broker on 127.0.0.1:BROKER_PORT, with its state in BROKER_DATA so that
// topics, records and committed offsets survive a restart of this process
// (the lesson's point that commits are on disk, like records).
//
// It speaks the Kafka protocol, so the consumers, kcat and Kafka's own tools
// talk to it as to a real broker. Differences that matter to the lab are in
// the README.
//
// It can also fail or delay offset commits on purpose (package faults):
//
//	broker fault-commit   the next COUNT OffsetCommit requests (of GROUP) fail with ERR and/or wait DELAY
//	broker fault-clear    remove every active fault
//	broker faults         list the faults added since the broker started, with what each did
//
// These talk to the running broker with BROKER_DATA through the control
// endpoint it serves on loopback.
package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kmsg"
	"github.com/twmb/franz-go/pkg/kversion"

	"offsetlab/internal/advice"
	"offsetlab/internal/config"
	"offsetlab/internal/faults"
)

func main() {
	if len(os.Args) > 1 && !strings.HasPrefix(os.Args[1], "-") {
		control(os.Args[1], os.Args[2:])
		return
	}
	serve()
}

func serve() {
	s := config.New("broker", os.Getenv)
	port := s.Int("BROKER_PORT", 9092, 1, 65535, "port to listen on, on 127.0.0.1")
	data := s.String("BROKER_DATA", ".lab/broker-data", "directory the broker keeps its state in")
	partitions := s.Int("PARTITIONS", 3, 1, 1000, "partitions of a topic created without a count")
	nodes := s.Int("BROKER_NODES", 1, 1, 9, "brokers in the embedded cluster, on BROKER_PORT and the ports after it")
	secure := s.BrokerSecurity()
	session := s.Duration("BROKER_SESSION_TIMEOUT", 45*time.Second, 3*time.Second, 5*time.Minute,
		"how long a KIP-848 or share group member that stopped heartbeating (a crash) keeps its partitions, and its static id (group.consumer.session.timeout.ms, group.share.session.timeout.ms; Kafka's default 45s)")
	as := s.Optional("BROKER_VERSION", "answer only the requests and versions this Apache Kafka release has, e.g. 3.9 (no KIP-848 groups, no share groups); default: everything kfake has", func(v string) error {
		if kversion.FromString(v) == nil {
			return fmt.Errorf("want a Kafka release such as 3.9 or 4.0")
		}
		return nil
	})
	if err := s.Parse(os.Args[1:]); err != nil {
		os.Exit(config.Fail("broker", s, err))
	}

	// kfake answers DescribeTopicPartitions (KIP-966) with a null
	// EligibleLeaderReplicas list, on which Kafka's own Java admin client
	// (and so kafka-consumer-groups --describe) fails with a
	// NullPointerException. Not advertising that API makes Kafka's tools
	// fall back to the Metadata request, as with an older broker.
	versions := kversion.Stable()
	if *as != "" {
		// An older broker, for what the lab says when a feature is missing.
		versions = kversion.FromString(*as)
	}
	versions.SetMaxKeyVersion(kmsg.DescribeTopicPartitions.Int16(), -1)

	ports := make([]int, *nodes)
	for i := range ports {
		ports[i] = *port + i
	}
	opts := []kfake.Opt{
		kfake.NumBrokers(*nodes),
		kfake.Ports(ports...),
		kfake.DataDir(*data),
		kfake.DefaultNumPartitions(*partitions),
		kfake.MaxVersions(versions),
	}
	// The new protocols' session timeouts are the broker's to set (the
	// classic protocol's is the client's): BROKER_SESSION_TIMEOUT for every
	// group, and a KIP-848 group's own consumer.session.timeout.ms
	// (SESSION_TIMEOUT) down to 6 s. kfake takes heartbeat intervals from
	// the broker only, so they come every 2 s (Kafka's default is 5 s):
	// three heartbeats or more in the shortest session, so a live member is
	// never timed out.
	beat := min(2*time.Second, *session/3)
	ms := func(d time.Duration) string { return fmt.Sprint(d.Milliseconds()) }
	opts = append(opts, kfake.BrokerConfigs(map[string]string{
		"group.consumer.session.timeout.ms":    ms(*session),
		"group.consumer.heartbeat.interval.ms": ms(beat),
		"group.share.session.timeout.ms":       ms(*session),
		"group.share.heartbeat.interval.ms":    ms(beat),
	}))
	sessions := fmt.Sprintf("; KIP-848 and share group sessions %s (BROKER_SESSION_TIMEOUT), heartbeats every %s", *session, beat)
	if secure.SASLMechanism != "" {
		// Every connection must authenticate first; the lab's user is a
		// superuser, so no ACLs get in the way of the lesson.
		opts = append(opts, kfake.EnableSASL(), kfake.Superuser(secure.SASLMechanism, secure.SASLUser, string(secure.SASLPassword)))
	}
	if secure.TLS != nil {
		// Every listener speaks TLS only, like a Kafka SSL listener.
		opts = append(opts, kfake.TLS(secure.TLS))
	}
	c, err := kfake.NewCluster(opts...)
	if err != nil {
		if errors.Is(err, syscall.EADDRINUSE) {
			fmt.Fprintf(os.Stderr, "broker: error: port %d on 127.0.0.1 is already taken (a broker already running? `make broker-down`, or choose BROKER_PORT)\n", *port)
		} else {
			fmt.Fprintf(os.Stderr, "broker: error: %v\n", err)
		}
		os.Exit(2)
	}
	fmt.Printf("broker: embedded Kafka-compatible broker (kfake) listening on %s%s, state in %s%s; Ctrl+C to stop\n", strings.Join(c.ListenAddrs(), ","), secure.Describe(), *data, sessions)

	// Faults on demand: `make fault-commit` reaches this broker through a
	// loopback-only endpoint whose address is in BROKER_DATA/control.
	ctx, stopControl := context.WithCancel(context.Background())
	defer stopControl()
	if err := faults.Serve(ctx, faults.NewInjector(c, os.Stdout), c.ListenAddrs()[0], *data); err != nil {
		fmt.Fprintf(os.Stderr, "broker: warning: %v (make fault-commit will not reach this broker)\n", err)
	}

	sigs := make(chan os.Signal, 2)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	sig := <-sigs
	fmt.Printf("broker: %s: saving state and stopping (again to quit at once)\n", sig)
	done := make(chan struct{})
	stopControl()
	go func() { c.Close(); close(done) }()
	select {
	case <-done:
		fmt.Println("broker: stopped")
	case <-sigs:
		fmt.Println("broker: second signal, quitting at once")
		os.Exit(1)
	case <-time.After(20 * time.Second):
		fmt.Println("broker: state not saved within 20s, quitting")
		os.Exit(1)
	}
}

// control runs one of the fault commands against the running broker.
func control(cmd string, args []string) {
	name := "broker " + cmd
	s := config.New(name, os.Getenv)
	brokers := s.Brokers(config.DefaultBrokers)
	data := s.String("BROKER_DATA", ".lab/broker-data", "data directory of the running embedded broker")
	var errName, count, group *string
	var delay *time.Duration
	switch cmd {
	case "fault-commit":
		errName = s.Optional("ERR", "Kafka error the commits fail with, e.g. "+strings.Join(faults.Suggested, ", "), func(v string) error {
			_, err := faults.ParseErr(v)
			return err
		})
		count = s.String("COUNT", "1", `how many OffsetCommit requests, or "all" (until fault-clear)`)
		delay = s.Duration("DELAY", 0, 0, faults.MaxDelay, "answer each of those commits this much later")
		group = s.Optional("GROUP", "only this group's commits (default: every group)", nil)
	case "fault-clear", "faults":
	default:
		fmt.Fprintf(os.Stderr, "broker: unknown command %q: run `broker` alone to serve, or one of fault-commit, fault-clear, faults\n", cmd)
		os.Exit(2)
	}
	if err := s.Parse(args); err != nil {
		os.Exit(config.Fail(name, s, err))
	}
	var spec faults.Spec
	if cmd == "fault-commit" {
		n, err := faults.ParseCount(*count)
		if err != nil {
			os.Exit(config.Fail(name, s, fmt.Errorf("COUNT (-count) = %q: %w", *count, err)))
		}
		spec = faults.Spec{Err: strings.ToUpper(strings.TrimSpace(*errName)), Count: n, Delay: *delay, Group: *group}
		if err := spec.Check(); err != nil {
			os.Exit(config.Fail(name, s, err))
		}
	}

	fail := func(err error) {
		fmt.Fprintf(os.Stderr, "%s: error: %s\n", name, advice.Error(err))
		os.Exit(2)
	}
	c, err := faults.Find(*data, *brokers)
	if err != nil {
		fail(err)
	}
	switch cmd {
	case "fault-commit":
		st, err := c.Add(spec)
		if err != nil {
			fail(err)
		}
		fmt.Printf("fault %d added: %s\n(`make faults` shows what it did, `make fault-clear` removes it)\n", st.ID, st.Spec)
	case "fault-clear":
		n, err := c.Clear()
		if err != nil {
			fail(err)
		}
		fmt.Printf("cleared %d active fault(s): commits are answered normally again\n", n)
	case "faults":
		ss, err := c.List()
		if err != nil {
			fail(err)
		}
		fmt.Println(faults.Summary(ss))
	}
}
