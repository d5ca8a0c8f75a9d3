package experiment

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"offsetlab/internal/cluster"
	"offsetlab/internal/config"
	"offsetlab/internal/proc"
)

// ErrNoScripts means the lab's scripts/ is not beside its bin/, and with it
// jvm-kafka.sh, which a Cluster scenario starts its Apache Kafka with.
var ErrNoScripts = errors.New("this scenario starts a three-node Apache Kafka with scripts/jvm-kafka.sh, which was not found beside bin/")

// clusterNodes is the size of the Apache Kafka cluster a Cluster scenario
// starts: three, so that one can die while two keep every partition
// writable (replication factor 3, min.insync.replicas=2).
const clusterNodes = 3

// startCluster starts a three-node Apache Kafka with scripts/jvm-kafka.sh
// (NODES=3) on free loopback ports, its files in OUT/kafka-cluster.
func (l *lab) startCluster(ctx context.Context) error {
	if l.cfg.Scripts == "" {
		return ErrNoScripts
	}
	port, err := proc.FreeRun(2 * clusterNodes)
	if err != nil {
		return err
	}
	l.kafkaPort, l.kafkaDir, l.replication = port, filepath.Join(l.cfg.Out, "kafka-cluster"), clusterNodes
	if err := os.RemoveAll(l.kafkaDir); err != nil {
		return err
	}
	if err := os.Remove(filepath.Join(l.cfg.Out, "kafka-cluster.log")); err != nil && !os.IsNotExist(err) {
		return err
	}
	for i := range clusterNodes {
		l.brokers = append(l.brokers, fmt.Sprintf("127.0.0.1:%d", port+i))
	}
	return l.jvmKafka(ctx, "up")
}

func (l *lab) stopCluster() {
	if l.kafkaDir != "" {
		_ = l.jvmKafka(context.Background(), "down")
	}
}

// killNode SIGKILLs cluster node id (node.id i is node-i, port KAFKA_PORT+i-1).
func (l *lab) killNode(ctx context.Context, id int32) error {
	return l.jvmKafka(ctx, "node-kill", strconv.Itoa(int(id)))
}

func (l *lab) nodeUp(ctx context.Context, id int32) error {
	return l.jvmKafka(ctx, "node-up", strconv.Itoa(int(id)))
}

func (l *lab) jvmKafka(ctx context.Context, args ...string) error {
	cmd := exec.CommandContext(ctx, filepath.Join(l.cfg.Scripts, "jvm-kafka.sh"), args...)
	cmd.Env = proc.Environ(config.Names, "NODES="+strconv.Itoa(clusterNodes), "KAFKA_PORT="+strconv.Itoa(l.kafkaPort),
		"KAFKA_CONTROLLER_PORT="+strconv.Itoa(l.kafkaPort+clusterNodes), "KAFKA_DIR="+l.kafkaDir, "LAB_BIN="+l.cfg.Bin)
	// The script's own lines (node killed, back) go to the cluster's log.
	log, err := os.OpenFile(filepath.Join(l.cfg.Out, "kafka-cluster.log"), os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
	if err != nil {
		return err
	}
	defer log.Close()
	var out strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &out
	err = cmd.Run()
	log.WriteString(out.String())
	if err != nil {
		return fmt.Errorf("jvm-kafka.sh %s: %w: %s", strings.Join(args, " "), err, strings.TrimSpace(out.String()))
	}
	return nil
}

// oneCoordinator renames the cells' groups (a -N suffix) so that the
// lesson's formula, abs(hashCode) % 50, puts all of them on the first one's
// __consumer_offsets partition: one broker then coordinates every strategy's
// group, and killing it is the same outage for each.
func oneCoordinator(cells []*cell) int32 {
	want := cluster.OffsetsPartition(cells[0].group, 50)
	for _, c := range cells[1:] {
		base := c.group
		for n := 1; cluster.OffsetsPartition(c.group, 50) != want; n++ {
			c.group = fmt.Sprintf("%s-%d", base, n)
		}
	}
	return want
}

// coordinator asks the cluster which broker coordinates group now.
func (l *lab) coordinator(ctx context.Context, group string) (int32, error) {
	adm, err := cluster.Dial(ctx, config.Plaintext(l.brokers))
	if err != nil {
		return -1, err
	}
	defer adm.Close()
	return adm.Coordinator(ctx, group)
}

// newCoordinator waits until the cluster names another broker than old as
// group's coordinator, and says how long that took.
func (l *lab) newCoordinator(ctx context.Context, group string, old int32, timeout time.Duration) (int32, time.Duration, error) {
	began := time.Now()
	for time.Since(began) < timeout {
		if node, err := l.coordinator(ctx, group); err == nil && node != old {
			return node, time.Since(began), nil
		}
		select {
		case <-ctx.Done():
			return -1, 0, ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
	}
	return -1, 0, fmt.Errorf("no other broker than %d coordinated %s within %s", old, group, timeout)
}
