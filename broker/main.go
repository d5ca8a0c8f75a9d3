// broker runs the lab's embedded Kafka-compatible broker: franz-go's kfake,
// one broker on 127.0.0.1:BROKER_PORT, with its state in BROKER_DATA so that
// topics, records and committed offsets survive a restart of this process
// (the lesson's point that commits are on disk, like records).
//
// It speaks the Kafka protocol, so the consumers, kcat and Kafka's own tools
// talk to it as to a real broker. Differences that matter to the lab are in
// the README.
package main

import (
	"errors"
	"fmt"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kmsg"
	"github.com/twmb/franz-go/pkg/kversion"

	"offsetlab/internal/config"
)

func main() {
	s := config.New("broker", os.Getenv)
	port := s.Int("BROKER_PORT", 9092, 1, 65535, "port to listen on, on 127.0.0.1")
	data := s.String("BROKER_DATA", ".lab/broker-data", "directory the broker keeps its state in")
	partitions := s.Int("PARTITIONS", 3, 1, 1000, "partitions of a topic created without a count")
	if err := s.Parse(os.Args[1:]); err != nil {
		config.Fail("broker", s, err)
	}

	// kfake answers DescribeTopicPartitions (KIP-966) with a null
	// EligibleLeaderReplicas list, on which Kafka's own Java admin client
	// (and so kafka-consumer-groups --describe) fails with a
	// NullPointerException. Not advertising that API makes Kafka's tools
	// fall back to the Metadata request, as with an older broker.
	versions := kversion.Stable()
	versions.SetMaxKeyVersion(kmsg.DescribeTopicPartitions.Int16(), -1)

	c, err := kfake.NewCluster(
		kfake.NumBrokers(1),
		kfake.Ports(*port),
		kfake.DataDir(*data),
		kfake.DefaultNumPartitions(*partitions),
		kfake.MaxVersions(versions),
	)
	if err != nil {
		if errors.Is(err, syscall.EADDRINUSE) {
			fmt.Fprintf(os.Stderr, "broker: error: port %d on 127.0.0.1 is already taken (a broker already running? `make broker-down`, or choose BROKER_PORT)\n", *port)
		} else {
			fmt.Fprintf(os.Stderr, "broker: error: %v\n", err)
		}
		os.Exit(2)
	}
	fmt.Printf("broker: embedded Kafka-compatible broker (kfake) listening on %s, state in %s; Ctrl+C to stop\n", c.ListenAddrs()[0], *data)

	sigs := make(chan os.Signal, 2)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	sig := <-sigs
	fmt.Printf("broker: %s: saving state and stopping (again to quit at once)\n", sig)
	done := make(chan struct{})
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
