package worker

import (
	"bytes"
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"

	"offsetlab/internal/cluster"
	"offsetlab/internal/config"
	"offsetlab/internal/processedlog"
	"offsetlab/internal/tally"
)

// The loop in this test's own process, against kfake in the same process:
// what the e2e tests show with real processes (manual-sync's crash repeats
// at most the batch in hand and loses nothing; a clean stop commits what was
// processed), here in a second, with a crash that kills the client instead
// of the process.
func TestLoopInProcess(t *testing.T) {
	const topic, group, orders = "orders", "kitchen-sync", 30
	c := inProcessBroker(t, topic, orders)
	brokers := strings.Join(c.ListenAddrs(), ",")

	dir := t.TempDir()
	log := filepath.Join(dir, "processed.log")
	consumer := func(kv ...string) config.Consumer {
		env := map[string]string{"BROKERS": brokers, "TOPIC": topic, "GROUP": group, "LOG": log,
			"EVENTS": filepath.Join(dir, "events.jsonl"), "WORK_DELAY": "0", "IDLE_EXIT": "500ms"}
		for _, s := range kv {
			k, v, _ := strings.Cut(s, "=")
			env[k] = v
		}
		cfg, _, err := config.ParseConsumer("manual-sync", nil, func(k string) string { return env[k] }, config.ConsumerDefaults{CommitPer: true})
		if err != nil {
			t.Fatal(err)
		}
		return cfg
	}
	manualSync := func(cfg config.Consumer) Strategy {
		return Strategy{Name: "manual-sync", Opts: []kgo.Opt{kgo.DisableAutoCommit()},
			Commit: func(ctx context.Context, cl *kgo.Client, latest []*kgo.Record) error {
				return cl.CommitRecords(ctx, latest...)
			},
			CommitWhy: "batch", CommitPer: cfg.CommitPer, Wait: true}
	}
	adm, err := cluster.Dial(context.Background(), config.Plaintext(c.ListenAddrs()))
	if err != nil {
		t.Fatal(err)
	}
	defer adm.Close()
	committed := func() int64 {
		m, err := adm.Committed(context.Background(), group, topic)
		if err != nil {
			t.Fatal(err)
		}
		var n int64
		for _, o := range m {
			n += max(o, 0)
		}
		return n
	}

	// CRASH=7 with batches of 5: the second batch is in hand, the first
	// committed, and nothing of the second may be.
	// Each run its own buffer: a crashed run's client is dead, not gone.
	out := new(bytes.Buffer)
	cfg := consumer("CRASH=7")
	if code := RunContext(context.Background(), cfg, manualSync(cfg), out); code != ExitCrash {
		t.Fatalf("exit %d, want %d:\n%s", code, ExitCrash, out.String())
	}
	if n := committed(); n != 5 {
		t.Fatalf("committed %d records after the crash, want the first batch's 5:\n%s", n, out.String())
	}

	// The restart reads to the end and stops (IDLE_EXIT): the two
	// processed after the last commit come again, nothing is lost.
	out = new(bytes.Buffer)
	cfg = consumer()
	if code := RunContext(context.Background(), cfg, manualSync(cfg), out); code != ExitOK {
		t.Fatalf("exit %d, want %d:\n%s", code, ExitOK, out.String())
	}
	entries, err := processedlog.ReadFile(log)
	if err != nil {
		t.Fatal(err)
	}
	ranges, err := adm.Ranges(context.Background(), topic)
	if err != nil {
		t.Fatal(err)
	}
	r := tally.Count(entries, ranges)
	if r.Lost != 0 || r.Unique != orders || r.Duplicates != 2 {
		t.Fatalf("after the crash and the restart: %s, want 30 unique, 2 duplicates, none lost:\n%s", r.Headline("processed"), out.String())
	}
	if n := committed(); n != orders {
		t.Fatalf("committed %d after a run to the end, want %d", n, orders)
	}

	// A stop (what Ctrl+C is to Run) in the middle: the record in hand is
	// finished and everything processed is committed.
	produce(t, brokers, topic, orders)
	out = new(bytes.Buffer)
	ctx, stop := context.WithCancel(context.Background())
	var once sync.Once
	pw := &watch{w: out, on: "[12 this run", do: func() { once.Do(stop) }}
	cfg = consumer("WORK_DELAY=10ms", "IDLE_EXIT=0")
	if code := RunContext(ctx, cfg, manualSync(cfg), pw); code != ExitOK {
		t.Fatalf("exit %d after a stop, want %d:\n%s", code, ExitOK, out.String())
	}
	if n := committed(); n != orders+12 {
		t.Fatalf("committed %d after a stop at the 12th record of the second 30, want %d:\n%s", n, orders+12, out.String())
	}
}

// watch passes writes on, and calls do once a write contains on.
type watch struct {
	w  *bytes.Buffer
	on string
	do func()
}

func (p *watch) Write(b []byte) (int, error) {
	if bytes.Contains(b, []byte(p.on)) {
		p.do()
	}
	return p.w.Write(b)
}

// inProcessBroker is kfake in the test's process, with topic (3 partitions)
// holding n orders; it is closed when the test ends.
func inProcessBroker(t *testing.T, topic string, n int) *kfake.Cluster {
	t.Helper()
	c, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.SeedTopics(3, topic))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	produce(t, strings.Join(c.ListenAddrs(), ","), topic, n)
	return c
}

// produce writes n orders, keys order-0000 on, round robin over the
// partitions as the seed does.
func produce(t *testing.T, brokers, topic string, n int) {
	t.Helper()
	cl, err := kgo.NewClient(kgo.SeedBrokers(strings.Split(brokers, ",")...), kgo.DefaultProduceTopic(topic),
		kgo.RecordPartitioner(kgo.RoundRobinPartitioner()))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for i := range n {
		r := &kgo.Record{Key: fmt.Appendf(nil, "order-%04d", i), Value: []byte("1 x espresso")}
		if err := cl.ProduceSync(ctx, r).FirstErr(); err != nil {
			t.Fatal(err)
		}
	}
}

// HANDOFF in the test's process, under the race detector's eye: three
// goroutines work on the batches the loop hands them, and a run to the end
// processes every record once.
func TestHandoffInProcess(t *testing.T) {
	const topic, orders = "orders", 30
	brokers := strings.Join(inProcessBroker(t, topic, orders).ListenAddrs(), ",")
	log := filepath.Join(t.TempDir(), "processed.log")
	env := map[string]string{"BROKERS": brokers, "TOPIC": topic, "GROUP": "kitchen-auto", "LOG": log,
		"EVENTS": filepath.Join(t.TempDir(), "events.jsonl"), "WORK_DELAY": "5ms", "IDLE_EXIT": "500ms", "HANDOFF": "3", "COMMIT_EVERY": "100ms"}
	cfg, _, err := config.ParseConsumer("auto-commit", nil, func(k string) string { return env[k] },
		config.ConsumerDefaults{CommitEvery: 2 * time.Second, Greedy: true, Handoff: true})
	if err != nil {
		t.Fatal(err)
	}
	out := new(bytes.Buffer)
	if code := RunContext(context.Background(), cfg, Strategy{Name: "auto-commit", Opts: []kgo.Opt{kgo.AutoCommitInterval(cfg.CommitEvery)}}, out); code != ExitOK {
		t.Fatalf("exit %d:\n%s", code, out.String())
	}
	entries, err := processedlog.ReadFile(log)
	if err != nil {
		t.Fatal(err)
	}
	if r := tally.Count(entries, nil); r.Unique != orders || r.Duplicates != 0 {
		t.Fatalf("%s, want 30 unique and no duplicate:\n%s", r.Headline("processed"), out.String())
	}
}
