package config

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"

	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/sasl"
	"github.com/twmb/franz-go/pkg/sasl/plain"
	"github.com/twmb/franz-go/pkg/sasl/scram"
)

// Secret is a value that must never be printed: fmt shows it as xxxxx.
type Secret string

func (Secret) String() string   { return "xxxxx" }
func (Secret) GoString() string { return `"xxxxx"` }

// Mechanisms are the SASL mechanisms the lab speaks (franz-go's sasl/plain
// and sasl/scram): what kfake and Apache Kafka both offer.
var Mechanisms = []string{"PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512"}

// Connection is how a client reaches the cluster: where (BROKERS) and, on a
// secured cluster, as whom (SASL) and over what (TLS).
type Connection struct {
	Brokers       []string
	SASLMechanism string // "" = no SASL
	SASLUser      string
	SASLPassword  Secret
	TLS           bool
	TLSCA         string // PEM file of the CA that signed the brokers' certificates; "" = the system's
	TLSServerName string // name to check the certificate against; "" = the host in BROKERS

	tlsConfig *tls.Config
}

// Plaintext is a connection to brokers with neither SASL nor TLS (the
// experiment's own embedded broker).
func Plaintext(brokers []string) Connection { return Connection{Brokers: brokers} }

// Opts are the kgo options that reach the cluster this way: every client the
// lab makes starts from them.
func (c Connection) Opts() []kgo.Opt {
	opts := []kgo.Opt{kgo.SeedBrokers(c.Brokers...)}
	if c.TLS {
		opts = append(opts, kgo.DialTLSConfig(c.tlsConfig.Clone()))
	}
	if m := c.mechanism(); m != nil {
		opts = append(opts, kgo.SASL(m))
	}
	return opts
}

// TLSConfig is the TLS configuration the connection uses (a copy), nil
// without TLS: for a client other than kgo.
func (c Connection) TLSConfig() *tls.Config {
	if !c.TLS {
		return nil
	}
	return c.tlsConfig.Clone()
}

func (c Connection) mechanism() sasl.Mechanism {
	user, pass := c.SASLUser, string(c.SASLPassword)
	switch c.SASLMechanism {
	case "PLAIN":
		return plain.Auth{User: user, Pass: pass}.AsMechanism()
	case "SCRAM-SHA-256":
		return scram.Auth{User: user, Pass: pass}.AsSha256Mechanism()
	case "SCRAM-SHA-512":
		return scram.Auth{User: user, Pass: pass}.AsSha512Mechanism()
	}
	return nil
}

// Describe says how the connection is made, without the password: for the
// settings line and for error messages.
func (c Connection) Describe() string {
	s := strings.Join(c.Brokers, ",")
	if c.SASLMechanism != "" {
		s += fmt.Sprintf(" as SASL_USER=%s (SASL_MECHANISM=%s)", c.SASLUser, c.SASLMechanism)
	}
	if c.TLS {
		s += " over TLS"
		if c.TLSCA != "" {
			s += " (TLS_CA=" + c.TLSCA + ")"
		}
	}
	return s
}

// Connection registers BROKERS and the settings of a secured cluster:
// SASL_MECHANISM, SASL_USER, SASL_PASSWORD (environment only) or
// SASL_PASSWORD_FILE, TLS, TLS_CA, TLS_SERVER_NAME.
func (s *Set) Connection(def string) *Connection {
	out := new(Connection)
	brokers := s.Brokers(def)
	mech := s.Optional("SASL_MECHANISM", "SASL mechanism of a secured cluster: "+strings.Join(Mechanisms, ", ")+" (empty: no SASL)", checkMechanism)
	creds := s.credentials("SASL_USER", "SASL_PASSWORD", "the user the lab authenticates as")
	useTLS := s.Bool("TLS", false, "connect to the brokers over TLS")
	ca := s.Optional("TLS_CA", "PEM file of the CA that signed the brokers' certificates (default: the system's CAs)", fileExists)
	serverName := s.Optional("TLS_SERVER_NAME", "name the brokers' certificate must carry (default: the host in BROKERS)", nil)
	s.checks = append(s.checks, func() error {
		*out = Connection{Brokers: *brokers, SASLMechanism: *mech, SASLUser: *creds.user, SASLPassword: Secret(creds.password),
			TLS: *useTLS, TLSCA: *ca, TLSServerName: *serverName}
		var errs []error
		switch {
		case creds.refused:
		case out.SASLMechanism != "" && (out.SASLUser == "" || out.SASLPassword == ""):
			errs = append(errs, fmt.Errorf("SASL_MECHANISM=%s needs SASL_USER and SASL_PASSWORD (environment) or SASL_PASSWORD_FILE", out.SASLMechanism))
		case out.SASLMechanism == "" && (out.SASLUser != "" || out.SASLPassword != ""):
			errs = append(errs, fmt.Errorf("SASL_USER or a password is set but SASL_MECHANISM is not: set it to one of %s", strings.Join(Mechanisms, ", ")))
		}
		if !out.TLS && (out.TLSCA != "" || out.TLSServerName != "") {
			errs = append(errs, errors.New("TLS_CA or TLS_SERVER_NAME is set but TLS is off: set TLS=1"))
		}
		if out.TLS {
			cfg, err := tlsConfig(out.TLSCA, out.TLSServerName)
			if err != nil {
				errs = append(errs, err)
			}
			out.tlsConfig = cfg
		}
		return errors.Join(errs...)
	})
	return out
}

type credentials struct {
	user     *string
	password string
	refused  bool // the password setting itself was refused (said once, not again as missing)
}

// credentials registers a user setting and its password, which is read from
// the environment or from PASS_FILE, never from a flag: anyone on the machine
// can read a command line with ps. A -flag for the password is refused by
// name rather than as an unknown flag.
func (s *Set) credentials(userEnv, passEnv, help string) *credentials {
	c := &credentials{user: s.Optional(userEnv, help, nil)}
	file := s.Optional(passEnv+"_FILE", "file holding the password of "+userEnv+" (instead of "+passEnv+")", fileExists)
	flagValue := s.fs.String(FlagName(passEnv), "", "refused: passwords are never flags")
	s.usage = append(s.usage, fmt.Sprintf("  %-19s %-18s %s", "(environment only)", passEnv, "password of "+userEnv+"; never a flag, never printed"))
	s.checks = append(s.checks, func() error {
		if *file != "" && fileExists(*file) != nil {
			c.refused = true // the file setting's own check has said why
			return nil
		}
		err := c.read(s, *flagValue, passEnv, *file)
		c.refused = err != nil
		return err
	})
	return c
}

func (c *credentials) read(s *Set, flagValue, passEnv, file string) error {
	if flagValue != "" {
		return fmt.Errorf("-%s: a password is never a flag (anyone can read a command line with ps); put it in the environment variable %s or in a file named by %s_FILE", FlagName(passEnv), passEnv, passEnv)
	}
	env := s.getenv(passEnv)
	switch {
	case env != "" && file != "":
		return fmt.Errorf("both %s and %s_FILE are set: use one", passEnv, passEnv)
	case file != "":
		b, err := os.ReadFile(file)
		if err != nil {
			return fmt.Errorf("%s_FILE: %w", passEnv, err)
		}
		c.password = strings.TrimRight(string(b), "\r\n")
		if c.password == "" {
			return fmt.Errorf("%s_FILE=%s is empty", passEnv, file)
		}
	default:
		c.password = env
	}
	return nil
}

func checkMechanism(v string) error {
	if !slices.Contains(Mechanisms, v) {
		return fmt.Errorf("want %s (or empty for no SASL)", strings.Join(Mechanisms, " or "))
	}
	return nil
}

func fileExists(path string) error {
	st, err := os.Stat(path)
	if err != nil {
		return errors.New("no such file")
	}
	if st.IsDir() {
		return errors.New("is a directory, not a file")
	}
	return nil
}

// tlsConfig is the client side: the system's CAs, or only the one in caFile.
func tlsConfig(caFile, serverName string) (*tls.Config, error) {
	cfg := &tls.Config{MinVersion: tls.VersionTLS12, ServerName: serverName}
	if caFile == "" {
		return cfg, nil
	}
	pem, err := os.ReadFile(caFile)
	if err != nil {
		return nil, fmt.Errorf("TLS_CA: %w", err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pem) {
		return nil, fmt.Errorf("TLS_CA=%s holds no PEM certificate", caFile)
	}
	cfg.RootCAs = pool
	return cfg, nil
}

// BrokerSecurity is what the embedded broker requires of its clients.
type BrokerSecurity struct {
	SASLMechanism string // "" = no SASL
	SASLUser      string
	SASLPassword  Secret
	TLS           *tls.Config // nil = plaintext
}

// Describe says what a client needs, without the password.
func (b BrokerSecurity) Describe() string {
	var s string
	if b.TLS != nil {
		s += " over TLS only"
	}
	if b.SASLMechanism != "" {
		s += fmt.Sprintf(", SASL %s required (user %s)", b.SASLMechanism, b.SASLUser)
	}
	return s
}

// BrokerSecurity registers the embedded broker's BROKER_SASL (with SASL_USER
// and its password as the one user) and BROKER_TLS_CERT / BROKER_TLS_KEY.
func (s *Set) BrokerSecurity() *BrokerSecurity {
	out := new(BrokerSecurity)
	mech := s.Optional("BROKER_SASL", "require SASL: "+strings.Join(Mechanisms, ", ")+", with SASL_USER and SASL_PASSWORD as the user (empty: no SASL)", checkMechanism)
	creds := s.credentials("SASL_USER", "SASL_PASSWORD", "the user BROKER_SASL lets in")
	cert := s.Optional("BROKER_TLS_CERT", "PEM certificate (chain) to serve TLS with; needs BROKER_TLS_KEY", fileExists)
	key := s.Optional("BROKER_TLS_KEY", "PEM private key of BROKER_TLS_CERT", fileExists)
	s.checks = append(s.checks, func() error {
		*out = BrokerSecurity{SASLMechanism: *mech, SASLUser: *creds.user, SASLPassword: Secret(creds.password)}
		var errs []error
		if !creds.refused && out.SASLMechanism != "" && (out.SASLUser == "" || out.SASLPassword == "") {
			errs = append(errs, fmt.Errorf("BROKER_SASL=%s needs SASL_USER and SASL_PASSWORD (environment) or SASL_PASSWORD_FILE: the user it lets in", out.SASLMechanism))
		}
		switch {
		case (*cert == "") != (*key == ""):
			errs = append(errs, errors.New("BROKER_TLS_CERT and BROKER_TLS_KEY go together: set both, or neither"))
		case *cert != "" && fileExists(*cert) == nil && fileExists(*key) == nil:
			pair, err := tls.LoadX509KeyPair(*cert, *key)
			if err != nil {
				errs = append(errs, fmt.Errorf("BROKER_TLS_CERT / BROKER_TLS_KEY: %w", err))
				break
			}
			out.TLS = &tls.Config{Certificates: []tls.Certificate{pair}, MinVersion: tls.VersionTLS12}
		}
		return errors.Join(errs...)
	})
	return out
}

// NewUser is a SCRAM user to create (admin user-add).
type NewUser struct {
	Name      string
	Password  Secret
	Mechanism string
}

// NewUser registers NEW_USER, NEW_PASSWORD (environment only) or
// NEW_PASSWORD_FILE, and NEW_MECHANISM.
func (s *Set) NewUser() *NewUser {
	out := new(NewUser)
	creds := s.credentials("NEW_USER", "NEW_PASSWORD", "user-add: the SCRAM user to create")
	mech := s.Choice("NEW_MECHANISM", "SCRAM-SHA-256", Mechanisms[1:], "user-add: the SCRAM mechanism the user logs in with")
	s.checks = append(s.checks, func() error {
		*out = NewUser{Name: *creds.user, Password: Secret(creds.password), Mechanism: *mech}
		return nil
	})
	return out
}
