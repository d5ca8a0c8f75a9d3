package config

import (
	"errors"
	"flag"
	"reflect"
	"strings"
	"testing"
	"time"
)

func env(m map[string]string) func(string) string {
	return func(k string) string { return m[k] }
}

var autoDefaults = ConsumerDefaults{Group: "kitchen-auto", Log: "processed-auto.log", Events: "events-auto.jsonl", CommitEvery: 2 * time.Second, Greedy: true}

func TestConsumerDefaults(t *testing.T) {
	c, _, err := ParseConsumer("auto-commit", nil, env(nil), autoDefaults)
	if err != nil {
		t.Fatal(err)
	}
	want := Consumer{
		Conn: Connection{Brokers: []string{"127.0.0.1:9092"}}, Topic: "brew.orders.v1", Group: "kitchen-auto", Instance: 1,
		WorkDelay: 50 * time.Millisecond, CommitEvery: 2 * time.Second, MaxPollRecords: 5, Log: "processed-auto.log",
		Events: "events-auto.jsonl", RebalanceTimeout: time.Minute, Print: "records", GroupProtocol: "classic",
	}
	if !reflect.DeepEqual(c, want) {
		t.Errorf("got %+v\nwant %+v", c, want)
	}
}

// A share group's consumer takes POISON and ON_FAIL, and no group protocol
// or rebalance timeout (a share group has neither to choose).
func TestShareConsumerSettings(t *testing.T) {
	share := ConsumerDefaults{Group: "kitchen-share", Log: "processed-share.log", Events: "events-share.jsonl", Share: true}
	c, s, err := ParseConsumer("share", nil, env(map[string]string{"POISON": "order-0007"}), share)
	if err != nil {
		t.Fatal(err)
	}
	if c.Poison != "order-0007" || c.OnFail != "release" || c.GroupProtocol != "" || c.RebalanceTimeout != 0 {
		t.Errorf("got poison %q on-fail %q protocol %q rebalance %s", c.Poison, c.OnFail, c.GroupProtocol, c.RebalanceTimeout)
	}
	if u := s.Usage(); strings.Contains(u, "GROUP_PROTOCOL") || !strings.Contains(u, "ON_FAIL") {
		t.Errorf("share's settings: want ON_FAIL and no GROUP_PROTOCOL:\n%s", u)
	}
	if _, _, err := ParseConsumer("share", nil, env(map[string]string{"ON_FAIL": "retry"}), share); err == nil || !strings.Contains(err.Error(), "ON_FAIL") {
		t.Errorf("ON_FAIL=retry: %v", err)
	}
	if _, _, err := ParseConsumer("manual-sync", nil, env(map[string]string{"GROUP_PROTOCOL": "kip848"}), autoDefaults); err == nil || !strings.Contains(err.Error(), "GROUP_PROTOCOL") {
		t.Errorf("GROUP_PROTOCOL=kip848: %v", err)
	}
}

func TestPrecedenceFlagOverEnvOverDefault(t *testing.T) {
	c, _, err := ParseConsumer("auto-commit", []string{"-crash", "7"},
		env(map[string]string{"CRASH": "3", "WORK_DELAY": "1s", "GREEDY": "1"}), autoDefaults)
	if err != nil {
		t.Fatal(err)
	}
	if c.Crash != 7 || c.WorkDelay != time.Second || !c.Greedy {
		t.Errorf("got crash=%d work=%s greedy=%v", c.Crash, c.WorkDelay, c.Greedy)
	}
}

func TestBadValuesNameTheSetting(t *testing.T) {
	tests := []struct {
		env, value, want string
	}{
		{"BROKERS", "localhost", "want host:port"},
		{"BROKERS", "127.0.0.1:99999", "port"},
		{"BROKERS", " , ", "at least one"},
		{"TOPIC", "orders with spaces", "topic name"},
		{"TOPIC", "..", "topic name"},
		{"GROUP", "a\tb", "group id"},
		{"INSTANCE", "0", "from 1 to"},
		{"INSTANCE", "two", "whole number"},
		{"CRASH", "-1", "from 0 to"},
		{"CRASH", "ten", "whole number"},
		{"WORK_DELAY", "fast", "duration"},
		{"WORK_DELAY", "-5ms", "from 0 to"},
		{"COMMIT_EVERY", "50ms", "from 100ms"},
		{"COMMIT_EVERY", "2", "duration"},
		{"MAX_POLL_RECORDS", "-3", "from 0 to"},
		{"LOG", " ", "must not be empty"},
		{"IDLE_EXIT", "soon", "duration"},
		{"GREEDY", "maybe", "want 1 or 0"},
		{"EVENTS", " ", "must not be empty"},
		{"RESET", "newest", "want earliest or latest"},
		{"REBALANCE_TIMEOUT", "100ms", "from 500ms"},
		{"PRINT", "lines", "want records or progress or none"},
	}
	for _, tt := range tests {
		t.Run(tt.env+"="+tt.value, func(t *testing.T) {
			_, _, err := ParseConsumer("auto-commit", nil, env(map[string]string{tt.env: tt.value}), autoDefaults)
			if err == nil {
				t.Fatal("accepted")
			}
			msg := err.Error()
			if !strings.Contains(msg, tt.env) || !strings.Contains(msg, "-"+FlagName(tt.env)) || !strings.Contains(msg, tt.want) {
				t.Errorf("message %q should name %s and say %q", msg, tt.env, tt.want)
			}
		})
	}
}

func TestAllProblemsAtOnce(t *testing.T) {
	_, _, err := ParseConsumer("x", nil, env(map[string]string{"CRASH": "x", "TOPIC": "a b"}), autoDefaults)
	if err == nil || !strings.Contains(err.Error(), "CRASH") || !strings.Contains(err.Error(), "TOPIC") {
		t.Fatalf("want both settings named, got %v", err)
	}
}

func TestSyncTakesNoCommitEvery(t *testing.T) {
	_, _, err := ParseConsumer("manual-sync", []string{"-commit-every", "1s"}, env(nil), ConsumerDefaults{Group: "g", Log: "l", Events: "e"})
	if err == nil || !strings.Contains(err.Error(), "commit-every") {
		t.Fatalf("manual-sync has no auto-commit; -commit-every should be refused, got %v", err)
	}
	_, _, err = ParseConsumer("manual-sync", []string{"-greedy", "1"}, env(nil), ConsumerDefaults{Group: "g", Log: "l", Events: "e"})
	if err == nil {
		t.Fatal("-greedy accepted by a binary without auto-commit")
	}
}

func TestHelpAndStrayArguments(t *testing.T) {
	_, s, err := ParseConsumer("auto-commit", []string{"-h"}, env(nil), autoDefaults)
	if !errors.Is(err, flag.ErrHelp) {
		t.Fatalf("want ErrHelp, got %v", err)
	}
	for _, name := range []string{"BROKERS", "CRASH", "WORK_DELAY", "COMMIT_EVERY", "MAX_POLL_RECORDS", "IDLE_EXIT", "GREEDY", "INSTANCE", "LOG", "EVENTS", "RESET", "REBALANCE_TIMEOUT", "PRINT"} {
		if !strings.Contains(s.Usage(), name) {
			t.Errorf("usage lacks %s", name)
		}
	}
	if _, _, err := ParseConsumer("auto-commit", []string{"10"}, env(nil), autoDefaults); err == nil || !strings.Contains(err.Error(), "unexpected argument") {
		t.Errorf("stray argument: %v", err)
	}
}
