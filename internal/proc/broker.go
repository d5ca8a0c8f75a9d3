package proc

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"offsetlab/internal/cluster"
	"offsetlab/internal/config"
)

// Binary is a run of the lab's binary name from bin/, with env on top of a
// clean environment (the lab's settings a learner set in the shell are
// dropped: they cannot change an experiment or a measurement), its output
// kept in outPath.
func Binary(bin, name, outPath string, env []string, args ...string) Cmd {
	return Cmd{Path: filepath.Join(bin, name), Args: args, Env: Environ(config.Names, env...), Output: outPath}
}

// Broker is the lab's embedded broker (bin/broker) run as a process of its
// own, which can be killed (an outage) and started again on the same port
// with the same state.
type Broker struct {
	Bin  string // the lab's bin/
	Dir  string // its state (broker-data) and its log (broker.log) go here
	Env  []string
	Port int // 0: a free one, chosen at the first Start

	p *Proc
}

// Address is where it answers, once started.
func (b *Broker) Address() string { return fmt.Sprintf("127.0.0.1:%d", b.Port) }

// Data is its state directory.
func (b *Broker) Data() string { return filepath.Join(b.Dir, "broker-data") }

// Start starts it (with a fresh state the first time; the same port and state
// after Kill) and waits until it answers.
func (b *Broker) Start(ctx context.Context) error {
	if b.Port == 0 {
		// Below the ephemeral range: a restart binds the same port again.
		port, err := FreeRun(1)
		if err != nil {
			return err
		}
		b.Port = port
		if err := os.RemoveAll(b.Data()); err != nil {
			return err
		}
	}
	if err := os.MkdirAll(b.Dir, 0o755); err != nil {
		return err
	}
	log := filepath.Join(b.Dir, "broker.log")
	p, err := Start(Cmd{Path: filepath.Join(b.Bin, "broker"), Output: log, DieWithParent: true,
		Env: append(b.Env, "BROKER_PORT="+strconv.Itoa(b.Port), "BROKER_DATA="+b.Data())})
	if err != nil {
		return err
	}
	b.p = p
	deadline := time.Now().Add(15 * time.Second)
	for {
		if adm, err := cluster.Dial(ctx, config.Plaintext([]string{b.Address()})); err == nil {
			adm.Close()
			return nil
		}
		if time.Now().After(deadline) {
			p.Kill()
			return fmt.Errorf("the embedded broker did not answer on %s within 15s (see %s)", b.Address(), log)
		}
		select {
		case <-p.Done():
			return fmt.Errorf("the embedded broker exited at once: %s", p.Tail(5))
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// PID is its process id, once started.
func (b *Broker) PID() int {
	if b.p == nil {
		return 0
	}
	return b.p.PID()
}

// Running says whether it was started and has not ended.
func (b *Broker) Running() bool {
	return b.p != nil && !b.p.Ended()
}

// Kill SIGKILLs it: an outage, as a crash of the broker's machine would cause.
func (b *Broker) Kill() {
	if b.p != nil {
		b.p.Kill()
	}
}

// Stop stops it as Ctrl+C does (SIGKILL after 10 s).
func (b *Broker) Stop() {
	if b.p == nil {
		return
	}
	_ = b.p.Signal(os.Interrupt)
	if _, err := b.p.Wait(context.Background(), 10*time.Second); err != nil {
		b.p.Kill()
	}
	b.p = nil
}

// FreeRun finds n consecutive free loopback ports and returns the first.
// They are chosen below the kernel's ephemeral range: a port from it, free
// while its broker is down, can become the source port of any outgoing
// connection on the machine, and the broker started again then cannot bind
// it (seen in CI: a SIGKILLed Kafka node "exited during start-up").
func FreeRun(n int) (int, error) {
	low := 32768 // Linux's default ip_local_port_range starts here
	if b, err := os.ReadFile("/proc/sys/net/ipv4/ip_local_port_range"); err == nil {
		if f := strings.Fields(string(b)); len(f) == 2 {
			if v, err := strconv.Atoi(f[0]); err == nil {
				low = v
			}
		}
	}
	const from = 10000
	if low-n <= from {
		return 0, fmt.Errorf("no room for %d ports between %d and the ephemeral range (from %d)", n, from, low)
	}
	for range 200 {
		first := from + rand.IntN(low-n-from)
		ok := true
		for i := 0; i < n && ok; i++ {
			if l, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", first+i)); err != nil {
				ok = false
			} else {
				l.Close()
			}
		}
		if ok {
			return first, nil
		}
	}
	return 0, fmt.Errorf("no %d consecutive free ports on 127.0.0.1 below %d", n, low)
}
