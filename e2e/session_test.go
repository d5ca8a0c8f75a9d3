package e2e

import (
	"context"
	"strings"
	"syscall"
	"testing"
	"time"
)

// SESSION_TIMEOUT shortens the 45 s the lab otherwise shows a crashed member
// holding on (kgo's default session under the classic protocol; a KIP-848
// group's consumer.session.timeout.ms, the broker's default): after a crash
// with SESSION_TIMEOUT=6s the broker lets the member go well before 45 s, on
// an embedded broker whose own default is 45 s. (The suite's Kafka has 6 s
// sessions for every KIP-848 group already: there the test checks the group
// took the setting.)
func TestSessionTimeoutLetsACrashedMemberGo(t *testing.T) {
	t.Parallel()
	for _, protocol := range []string{"classic", "consumer"} {
		t.Run(protocol, func(t *testing.T) {
			t.Parallel()
			l := newLab(t)
			if onEmbedded() {
				b, err := startBroker(t.TempDir(), freePort()) // Kafka's 45 s defaults
				if err != nil {
					t.Fatal(err)
				}
				t.Cleanup(func() { b.stop(syscall.SIGTERM) })
				l.brokers = b.addr
			}
			l.seed(30)
			crash := l.run(1, "manual-sync", "LOG="+l.path("p.log"), "GROUP_PROTOCOL="+protocol, "SESSION_TIMEOUT=6s", "CRASH=5")
			crashed := time.Now()
			if !strings.Contains(crash.output(), "SESSION_TIMEOUT=6s") {
				t.Errorf("the settings line does not show SESSION_TIMEOUT=6s:\n%s", crash.output())
			}
			if protocol == "consumer" && crash.countLines("consumer.session.timeout.ms=6000, consumer.heartbeat.interval.ms=2000 (SESSION_TIMEOUT)") != 1 {
				t.Errorf("under KIP-848 the run must say it set the group's session:\n%s", crash.output())
			}
			// The crashed member stays until its session ends: 6 s after
			// its last heartbeat, not 45 s.
			for {
				g, err := l.adm().DescribeGroup(context.Background(), l.group, l.topic)
				if err != nil {
					t.Fatal(err)
				}
				if len(g.Members) == 0 {
					break
				}
				if time.Since(crashed) > 30*time.Second {
					t.Fatalf("the crashed member is still in the group 30 s after the crash (%d members, state %s): the 45 s default, not SESSION_TIMEOUT=6s", len(g.Members), g.State)
				}
				time.Sleep(200 * time.Millisecond)
			}
			t.Logf("%s: the crashed member left the group %.1f s after the crash", protocol, time.Since(crashed).Seconds())
		})
	}
}

// SESSION_TIMEOUT out of the range both brokers allow a classic member
// (group.min.session.timeout.ms is 6 s) is named before anything starts;
// a share group's member refuses it (its session is the broker's).
func TestSessionTimeoutRefused(t *testing.T) {
	t.Parallel()
	l := newLab(t)
	l.seed(3)
	for _, tt := range []struct{ bin, value, want string }{
		{"manual-sync", "3s", `SESSION_TIMEOUT (-session-timeout) = "3s": want a duration from 6s to 5m`},
		{"auto-commit", "soon", `SESSION_TIMEOUT (-session-timeout) = "soon": want a duration from 6s to 5m`},
		{"share", "6s", `SESSION_TIMEOUT (-session-timeout) = "6s": a share group's session is the broker's: set BROKER_SESSION_TIMEOUT`},
	} {
		p := l.run(2, tt.bin, "LOG="+l.path("p.log"), "SESSION_TIMEOUT="+tt.value)
		if !strings.Contains(p.output(), tt.want) {
			t.Errorf("%s SESSION_TIMEOUT=%s: want %q in:\n%s", tt.bin, tt.value, tt.want, p.output())
		}
	}
}
