package e2e

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/hex"
	"encoding/pem"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// certs is a test's own CA and a broker certificate it signed, for
// 127.0.0.1 and localhost, as PEM files; and a second CA that signed nothing
// the broker has.
type certs struct{ ca, cert, key, otherCA string }

func makeCerts(t *testing.T) certs {
	t.Helper()
	dir := t.TempDir()
	write := func(name, kind string, der []byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, pem.EncodeToMemory(&pem.Block{Type: kind, Bytes: der}), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	newCA := func(name string) (*x509.Certificate, *ecdsa.PrivateKey, string) {
		key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		if err != nil {
			t.Fatal(err)
		}
		tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: name},
			NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
			IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign}
		der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
		if err != nil {
			t.Fatal(err)
		}
		ca, _ := x509.ParseCertificate(der)
		return ca, key, write(name+".pem", "CERTIFICATE", der)
	}
	ca, caKey, caFile := newCA("lab-test-ca")
	_, _, otherFile := newCA("another-ca")
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: "localhost"},
		DNSNames: []string{"localhost"}, IPAddresses: []net.IP{net.ParseIP("127.0.0.1")},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca, &key.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	return certs{ca: caFile, cert: write("broker.pem", "CERTIFICATE", der), key: write("broker.key", "EC PRIVATE KEY", keyDER), otherCA: otherFile}
}

func randomPassword(t *testing.T) string {
	b := make([]byte, 12)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return "pw-" + hex.EncodeToString(b)
}

// noSecret fails the test if out shows the password.
func noSecret(t *testing.T, what, out, password string) {
	t.Helper()
	if strings.Contains(out, password) {
		t.Fatalf("%s printed the password:\n%s", what, out)
	}
}

// The embedded broker requiring SASL (each mechanism) and TLS, and the lab's
// binaries logging in: the crash recipe runs as on an open broker, the
// password is never printed, and a client whose TLS or SASL settings are
// wrong is refused in seconds by name, with nothing logged or committed.
func TestSecuredEmbeddedBroker(t *testing.T) {
	t.Parallel()
	c := makeCerts(t)
	for _, tc := range []struct {
		mechanism string
		tls       bool
		file      bool // the password from SASL_PASSWORD_FILE, not SASL_PASSWORD
	}{
		{"PLAIN", true, false},
		{"SCRAM-SHA-256", false, true},
		{"SCRAM-SHA-512", true, false},
	} {
		t.Run(tc.mechanism, func(t *testing.T) {
			password := randomPassword(t)
			server := []string{"BROKER_SASL=" + tc.mechanism, "SASL_USER=alice", "SASL_PASSWORD=" + password}
			client := []string{"SASL_MECHANISM=" + tc.mechanism, "SASL_USER=alice"}
			if tc.tls {
				server = append(server, "BROKER_TLS_CERT="+c.cert, "BROKER_TLS_KEY="+c.key)
				client = append(client, "TLS=1", "TLS_CA="+c.ca)
			}
			if tc.file {
				f := filepath.Join(t.TempDir(), "password")
				if err := os.WriteFile(f, []byte(password+"\n"), 0o600); err != nil {
					t.Fatal(err)
				}
				client = append(client, "SASL_PASSWORD_FILE="+f)
			} else {
				client = append(client, "SASL_PASSWORD="+password)
			}
			b, err := startBroker(t.TempDir(), freePort(), server...)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { b.stop(syscall.SIGTERM) })
			l := newLab(t)
			l.brokers = b.addr

			l.admin("topic-create", client...)
			l.run(0, "seed", append(client, "SEED_MESSAGES=30")...)
			crashed := l.run(1, "manual-sync", append(client, "LOG=processed.log", "CRASH=10", "WORK_DELAY=0")...)
			rest := l.run(0, "manual-sync", append(client, "LOG=processed.log", "IDLE_EXIT=1s", "WORK_DELAY=0")...)
			if want := "on " + b.addr + " as SASL_USER=alice (SASL_MECHANISM=" + tc.mechanism + ")"; !strings.Contains(crashed.output(), want) {
				t.Errorf("the start line does not say how it logged in (%q):\n%s", want, crashed.output())
			}
			got := parseCount(t, l.runArgs(0, "admin", []string{"count"}, append(client, "LOG=processed.log")...).output())
			// The lesson's crash recipe, as on an open broker: 30 orders,
			// the crashed batch's 5 records twice, none lost.
			if got.total != 35 || got.unique != 30 || got.lost != 0 || got.duplicates != 5 {
				t.Errorf("count after the crash recipe over %s: %+v", tc.mechanism, got)
			}
			for what, out := range map[string]string{"broker": b.output(), "crashed run": crashed.output(), "restart": rest.output()} {
				noSecret(t, what, out, password)
			}
			// The other clients log in with the same settings: kafka-go
			// (its own SASL and TLS) and librdkafka (its properties).
			for _, bin := range []string{"kafkago-fetch", "confluent-commit"} {
				needClient(t, bin)
				log := bin + ".log"
				run := l.run(0, bin, append(client, "GROUP="+l.group+"-"+bin, "LOG="+log, "IDLE_EXIT=1s", "WORK_DELAY=0")...)
				got := parseCount(t, l.runArgs(0, "admin", []string{"count"}, append(client, "LOG="+log)...).output())
				if got.total != 30 || got.unique != 30 || got.lost != 0 {
					t.Errorf("%s over %s: %+v\n%s", bin, tc.mechanism, got, run.output())
				}
				noSecret(t, bin, run.output(), password)
			}
		})
	}
}

// A client that gets a secured broker's settings wrong: refused at start
// within 5 s, with one message that names the setting to fix, the password
// never shown, and nothing appended or committed.
func TestSecuredRefusals(t *testing.T) {
	t.Parallel()
	c := makeCerts(t)
	password := randomPassword(t)
	b, err := startBroker(t.TempDir(), freePort(), "BROKER_SASL=SCRAM-SHA-512", "SASL_USER=alice", "SASL_PASSWORD="+password,
		"BROKER_TLS_CERT="+c.cert, "BROKER_TLS_KEY="+c.key)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { b.stop(syscall.SIGTERM) })
	l := newLab(t)
	l.brokers = b.addr
	good := []string{"TLS=1", "TLS_CA=" + c.ca, "SASL_MECHANISM=SCRAM-SHA-512", "SASL_USER=alice", "SASL_PASSWORD=" + password}
	l.admin("topic-create", good...)
	l.run(0, "seed", append(good, "SEED_MESSAGES=10")...)

	with := func(kv ...string) []string { return append(append([]string{}, good...), kv...) }
	for _, tc := range []struct {
		name string
		args []string
		kv   []string
		want []string // in the message
	}{
		{"no TLS", nil, []string{"SASL_MECHANISM=SCRAM-SHA-512", "SASL_USER=alice", "SASL_PASSWORD=" + password}, []string{"closed the connection", "is TLS missing?", "TLS=1"}},
		{"a CA that did not sign it", nil, with("TLS_CA=" + c.otherCA), []string{"signed by a CA this client does not trust", "TLS_CA"}},
		{"the system's CAs", nil, with("TLS_CA="), []string{"TLS_CA"}},
		{"another server name", nil, with("TLS_SERVER_NAME=kafka.example.com"), []string{"certificate for another name", "TLS_SERVER_NAME"}},
		{"no SASL", nil, []string{"TLS=1", "TLS_CA=" + c.ca}, []string{"is SASL missing?", "SASL_MECHANISM"}},
		{"wrong password", nil, with("SASL_PASSWORD=not-" + password), []string{"SASL_USER=alice", "SASL_PASSWORD"}},
		{"unknown user", nil, with("SASL_USER=mallory"), []string{"SASL_USER=mallory", "SASL_PASSWORD"}},
		{"another mechanism", nil, with("SASL_MECHANISM=SCRAM-SHA-256"), []string{"SASL_MECHANISM=SCRAM-SHA-256"}},
		{"password as a flag", []string{"-sasl-password", password}, with("SASL_PASSWORD="), []string{"-sasl-password: a password is never a flag", "SASL_PASSWORD_FILE"}},
		{"password twice", nil, with("SASL_PASSWORD_FILE=" + c.ca), []string{"both SASL_PASSWORD and SASL_PASSWORD_FILE are set"}},
		{"mechanism without a user", nil, with("SASL_USER="), []string{"SASL_MECHANISM=SCRAM-SHA-512 needs SASL_USER"}},
		{"unknown mechanism", nil, with("SASL_MECHANISM=GSSAPI"), []string{"SASL_MECHANISM (-sasl-mechanism) = \"GSSAPI\"", "SCRAM-SHA-512"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for _, bin := range []string{"manual-sync", "seed", "admin"} {
				args := tc.args
				if bin == "admin" {
					args = append([]string{"ping"}, args...)
				}
				log := l.path(unsafeName.ReplaceAllString(tc.name, "-") + ".log")
				p := l.startArgs(bin, args, append(tc.kv, "LOG="+log, "GROUP="+l.group+"-refused")...)
				if code := p.wait(15 * time.Second); code != 2 {
					t.Fatalf("%s exited %d, want 2:\n%s", bin, code, p.output())
				}
				if took := time.Since(p.Started()); took > 5*time.Second {
					t.Errorf("%s took %s to refuse", bin, took.Round(time.Millisecond))
				}
				out := p.output()
				for _, w := range tc.want {
					if !strings.Contains(out, w) {
						t.Errorf("%s: the message does not say %q:\n%s", bin, w, out)
					}
				}
				noSecret(t, bin, out, password)
				if _, err := os.Stat(log); err == nil {
					t.Errorf("%s: a refused start wrote %s", bin, log)
				}
			}
		})
	}
	// Nothing was committed for the refused group, and nothing was seeded twice.
	describe := l.runArgs(0, "admin", []string{"group-describe"}, with("GROUP="+l.group+"-refused")...).output()
	if !strings.Contains(describe, "state Dead") {
		t.Errorf("the refused starts left a trace in the group:\n%s", describe)
	}
	records := 0
	for _, m := range regexp.MustCompile(`(?m)^\s+p\d+\s+\d+\s+\S+\s+\S+\s+\d+\s+\d+\s+(\d+)$`).FindAllStringSubmatch(
		l.runArgs(0, "admin", []string{"topic-describe"}, good...).output(), -1) {
		n, _ := strconv.Atoi(m[1])
		records += n
	}
	if records != 10 {
		t.Errorf("the topic holds %d records after the refused seeds, want the 10 seeded before", records)
	}
	noSecret(t, "broker", b.output(), password)
}

// Apache Kafka with a SCRAM listener (`make test-kafka` starts its Kafka with
// KAFKA_SASL_PORT and sets LAB_TEST_SASL_BROKERS): an instructor creates a
// learner's user with admin user-add on the plaintext port, the learner runs
// the crash recipe through the SASL port, and a wrong password is refused by
// name in seconds.
func TestSCRAMOnKafka(t *testing.T) {
	sasl := os.Getenv("LAB_TEST_SASL_BROKERS")
	if sasl == "" {
		if os.Getenv("LAB_TEST_KAFKA_SASL") == "1" {
			t.Fatal("LAB_TEST_KAFKA_SASL=1 but LAB_TEST_SASL_BROKERS is not set: scripts/with-kafka.sh sets it")
		}
		t.Skip("no SCRAM listener: `make test-kafka` starts Apache Kafka with one")
	}
	t.Parallel()
	l := newLab(t)
	for _, mech := range []string{"SCRAM-SHA-256", "SCRAM-SHA-512"} {
		user, password := l.group+"-"+strings.ToLower(mech[len(mech)-3:]), randomPassword(t)
		add := l.runArgs(0, "admin", []string{"user-add"}, "NEW_USER="+user, "NEW_PASSWORD="+password, "NEW_MECHANISM="+mech)
		if !strings.Contains(add.output(), "SCRAM user "+user+" can now log in with SASL_MECHANISM="+mech) {
			t.Fatalf("user-add:\n%s", add.output())
		}
		noSecret(t, "user-add", add.output(), password)
		login := []string{"BROKERS=" + sasl, "SASL_MECHANISM=" + mech, "SASL_USER=" + user, "SASL_PASSWORD=" + password, "LEARNER=" + mech[len(mech)-3:]}
		l.admin("topic-create", login...)
		l.run(0, "seed", append(login, "SEED_MESSAGES=30")...)
		log := l.path(mech + ".log")
		crashed := l.run(1, "manual-sync", append(login, "LOG="+log, "CRASH=10", "WORK_DELAY=0")...)
		rest := l.run(0, "manual-sync", append(login, "LOG="+log, "IDLE_EXIT=2s", "WORK_DELAY=0")...)
		got := parseCount(t, l.runArgs(0, "admin", []string{"count"}, append(login, "LOG="+log)...).output())
		if got.total != 35 || got.unique != 30 || got.lost != 0 || got.duplicates != 5 {
			t.Errorf("%s: count after the crash recipe: %+v", mech, got)
		}
		for what, out := range map[string]string{"crashed run": crashed.output(), "restart": rest.output()} {
			noSecret(t, what, out, password)
		}

		wrong := l.startArgs("manual-sync", nil, append(login, "SASL_PASSWORD=not-"+password, "LOG="+l.path("refused.log"))...)
		if code := wrong.wait(15 * time.Second); code != 2 || time.Since(wrong.Started()) > 5*time.Second {
			t.Fatalf("a wrong password: exit %d after %s, want 2 within 5s:\n%s", code, time.Since(wrong.Started()), wrong.output())
		}
		for _, w := range []string{"refused SASL_USER=" + user, "SASL_AUTHENTICATION_FAILED", "SASL_PASSWORD"} {
			if !strings.Contains(wrong.output(), w) {
				t.Errorf("a wrong password: the message does not say %q:\n%s", w, wrong.output())
			}
		}
		if _, err := os.Stat(l.path("refused.log")); err == nil {
			t.Error("a refused login created the processed log")
		}
	}
}
