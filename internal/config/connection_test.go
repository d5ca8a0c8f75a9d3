package config

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestConnectionSettings(t *testing.T) {
	dir := t.TempDir()
	pwFile := filepath.Join(dir, "pw")
	os.WriteFile(pwFile, []byte("from-file\n"), 0o600)
	notPEM := filepath.Join(dir, "ca.pem")
	os.WriteFile(notPEM, []byte("not a certificate"), 0o600)
	tests := []struct {
		name    string
		env     map[string]string
		args    []string
		want    string // Describe(), when accepted
		wantErr []string
	}{
		{"plaintext", nil, nil, "127.0.0.1:9092", nil},
		{"scram from the environment", map[string]string{"SASL_MECHANISM": "SCRAM-SHA-512", "SASL_USER": "alice", "SASL_PASSWORD": "s3cret"}, nil,
			"127.0.0.1:9092 as SASL_USER=alice (SASL_MECHANISM=SCRAM-SHA-512)", nil},
		{"password from a file", map[string]string{"SASL_MECHANISM": "PLAIN", "SASL_USER": "alice", "SASL_PASSWORD_FILE": pwFile}, nil,
			"127.0.0.1:9092 as SASL_USER=alice (SASL_MECHANISM=PLAIN)", nil},
		{"tls with the system's CAs", map[string]string{"TLS": "1"}, nil, "127.0.0.1:9092 over TLS", nil},
		{"a password flag", map[string]string{"SASL_MECHANISM": "PLAIN", "SASL_USER": "alice"}, []string{"-sasl-password", "s3cret"}, "",
			[]string{"-sasl-password: a password is never a flag"}},
		{"both password sources", map[string]string{"SASL_MECHANISM": "PLAIN", "SASL_USER": "alice", "SASL_PASSWORD": "x", "SASL_PASSWORD_FILE": pwFile}, nil, "",
			[]string{"both SASL_PASSWORD and SASL_PASSWORD_FILE are set"}},
		{"a missing password file, said once", map[string]string{"SASL_MECHANISM": "PLAIN", "SASL_USER": "alice", "SASL_PASSWORD_FILE": filepath.Join(dir, "nope")}, nil, "",
			[]string{`SASL_PASSWORD_FILE (-sasl-password-file) = "` + filepath.Join(dir, "nope") + `": no such file`}},
		{"a mechanism without a user", map[string]string{"SASL_MECHANISM": "PLAIN"}, nil, "", []string{"SASL_MECHANISM=PLAIN needs SASL_USER"}},
		{"a user without a mechanism", map[string]string{"SASL_USER": "alice", "SASL_PASSWORD": "x"}, nil, "", []string{"SASL_MECHANISM is not"}},
		{"an unknown mechanism", map[string]string{"SASL_MECHANISM": "GSSAPI", "SASL_USER": "alice", "SASL_PASSWORD": "x"}, nil, "",
			[]string{`SASL_MECHANISM (-sasl-mechanism) = "GSSAPI"`}},
		{"a CA without TLS", map[string]string{"TLS_CA": notPEM}, nil, "", []string{"TLS is off: set TLS=1"}},
		{"a CA file with no certificate", map[string]string{"TLS": "1", "TLS_CA": notPEM}, nil, "", []string{"holds no PEM certificate"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := New("x", func(k string) string { return tt.env[k] })
			c := s.Connection(DefaultBrokers)
			err := s.Parse(tt.args)
			if tt.wantErr == nil {
				if err != nil || c.Describe() != tt.want {
					t.Fatalf("got %q, %v; want %q", c.Describe(), err, tt.want)
				}
				return
			}
			if err == nil {
				t.Fatalf("accepted; want %q", tt.wantErr)
			}
			for _, w := range tt.wantErr {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q lacks %q", err, w)
				}
			}
			if n := strings.Count(err.Error(), "\n") + 1; n != len(tt.wantErr) {
				t.Errorf("%d problems reported, want %d: %v", n, len(tt.wantErr), err)
			}
			for _, secret := range []string{"s3cret", "from-file"} {
				if strings.Contains(err.Error(), secret) {
					t.Errorf("the error shows the password: %v", err)
				}
			}
		})
	}
}

func TestSecretNeverPrints(t *testing.T) {
	c := Connection{SASLUser: "alice", SASLPassword: "s3cret"}
	for _, out := range []string{fmt.Sprint(c), fmt.Sprintf("%+v", c), fmt.Sprintf("%#v", c)} {
		if strings.Contains(out, "s3cret") {
			t.Errorf("printed the password: %s", out)
		}
	}
}

func TestLearnerSuffixesTopicsAndGroups(t *testing.T) {
	s := New("x", func(k string) string { return map[string]string{"LEARNER": "alice", "GROUP": "g1, g2"}[k] })
	topic, output, groups := s.Topic(DefaultTopic), s.OutputTopic(DefaultOutput), s.Groups("kitchen-auto", "groups")
	if err := s.Parse(nil); err != nil {
		t.Fatal(err)
	}
	if *topic != "brew.orders.v1.alice" || *output != "brew.tickets.v1.alice" || *groups != "g1-alice,g2-alice" {
		t.Fatalf("got %q %q %q", *topic, *output, *groups)
	}
	s = New("x", func(k string) string { return map[string]string{"LEARNER": "a.b"}[k] })
	s.Group("kitchen-auto")
	if err := s.Parse(nil); err == nil || !strings.Contains(err.Error(), `LEARNER (-learner) = "a.b"`) {
		t.Fatalf("a bad LEARNER: %v", err)
	}
}
