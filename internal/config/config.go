// Package config reads the lab's settings: every setting is a flag with an
// environment fallback of the same name as the Make variable (flag -work-delay,
// variable WORK_DELAY), so `make run-auto CRASH=10` and
// `bin/auto-commit -crash 10` mean the same thing.
//
// Precedence: flag, then environment, then the default. Every value is
// validated after parsing and a bad one is reported with the setting's name,
// so a learner sees "CRASH (-crash) = "ten": want a whole number" instead of a
// library error that names no setting.
package config

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// Set is a group of settings for one command.
type Set struct {
	fs      *flag.FlagSet
	getenv  func(string) string
	checks  []func() error
	usage   []string
	learner *string // LEARNER, registered with the first name it suffixes
}

// New returns an empty set for the command name. getenv is usually os.Getenv;
// tests pass their own.
func New(name string, getenv func(string) string) *Set {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	return &Set{fs: fs, getenv: getenv}
}

// FlagName turns an environment name into its flag name: WORK_DELAY -> work-delay.
func FlagName(env string) string {
	return strings.ReplaceAll(strings.ToLower(env), "_", "-")
}

// raw registers a string flag whose default is the environment value (if set)
// or def, and remembers a check to run once everything is parsed.
func (s *Set) raw(env, def, help string, check func(string) error) *string {
	return s.shown(env, def, help, check, func(v string) string { return v })
}

// shown is raw with a say for how a refused value is quoted back (a URL's
// password must not be).
func (s *Set) shown(env, def, help string, check func(string) error, say func(string) string) *string {
	start := def
	if v, ok := s.lookupEnv(env); ok {
		start = v
	}
	p := s.fs.String(FlagName(env), start, help)
	s.usage = append(s.usage, fmt.Sprintf("  -%-18s %-18s %s (default %q)", FlagName(env), env, help, def))
	s.checks = append(s.checks, func() error {
		if err := check(*p); err != nil {
			return fmt.Errorf("%s (-%s) = %q: %w", env, FlagName(env), say(*p), err)
		}
		return nil
	})
	return p
}

func (s *Set) lookupEnv(env string) (string, bool) {
	v := s.getenv(env)
	return v, v != ""
}

// Parse parses args and validates every setting, returning all problems at once.
func (s *Set) Parse(args []string) error {
	if err := s.fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return fmt.Errorf("%w\n%s", err, s.Usage())
	}
	if s.fs.NArg() > 0 {
		return fmt.Errorf("unexpected argument %q (settings are flags like -crash 10 or variables like CRASH=10)", s.fs.Arg(0))
	}
	var errs []error
	for _, c := range s.checks {
		if err := c(); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// Usage lists every setting: flag, variable, meaning and default.
func (s *Set) Usage() string {
	return "settings (flag, or environment variable of the same name):\n" + strings.Join(s.usage, "\n")
}

// Args returns the arguments left after the flags (for subcommands).
func (s *Set) Args() []string { return s.fs.Args() }

// String is a free-form non-empty string.
func (s *Set) String(env, def, help string) *string {
	return s.raw(env, def, help, func(v string) error {
		if strings.TrimSpace(v) == "" {
			return errors.New("must not be empty")
		}
		return nil
	})
}

// Optional is a free-form string that may be left empty; check, if not nil,
// validates a non-empty value.
func (s *Set) Optional(env, help string, check func(string) error) *string {
	return s.raw(env, "", help, func(v string) error {
		if v == "" || check == nil {
			return nil
		}
		return check(v)
	})
}

// Int is a whole number in [min, max].
func (s *Set) Int(env string, def, min, max int, help string) *int {
	out := new(int)
	s.raw(env, strconv.Itoa(def), help, func(v string) error {
		n, err := strconv.Atoi(strings.TrimSpace(v))
		if err != nil {
			return fmt.Errorf("want a whole number from %d to %d", min, max)
		}
		if n < min || n > max {
			return fmt.Errorf("want a whole number from %d to %d", min, max)
		}
		*out = n
		return nil
	})
	return out
}

// Duration is a Go duration (500ms, 2s, 1m) in [min, max]. A bare 0 is allowed.
func (s *Set) Duration(env string, def, min, max time.Duration, help string) *time.Duration {
	out := new(time.Duration)
	s.raw(env, durString(def), help, func(v string) error {
		d, err := time.ParseDuration(strings.TrimSpace(v))
		if err != nil {
			return fmt.Errorf("want a duration such as 500ms, 2s or 1m, from %s to %s", durString(min), durString(max))
		}
		if d < min || d > max {
			return fmt.Errorf("want a duration from %s to %s", durString(min), durString(max))
		}
		*out = d
		return nil
	})
	return out
}

func durString(d time.Duration) string {
	if d == 0 {
		return "0"
	}
	return d.String()
}

// Choice is one of the given words.
func (s *Set) Choice(env, def string, words []string, help string) *string {
	return ChoiceOf(s, env, def, words, help)
}

// ChoiceOf is Choice for a mode of its own type (Print, GroupProtocol, ...).
func ChoiceOf[T ~string](s *Set, env string, def T, words []T, help string) *T {
	out := new(T)
	names := make([]string, len(words))
	for i, w := range words {
		names[i] = string(w)
	}
	s.raw(env, string(def), help+" ("+strings.Join(names, " or ")+")", func(v string) error {
		for _, w := range words {
			if v == string(w) {
				*out = w
				return nil
			}
		}
		return fmt.Errorf("want %s", strings.Join(names, " or "))
	})
	return out
}

// Bool accepts 1/0, true/false, yes/no, on/off.
func (s *Set) Bool(env string, def bool, help string) *bool {
	out := new(bool)
	d := "0"
	if def {
		d = "1"
	}
	s.raw(env, d, help, func(v string) error {
		switch strings.ToLower(strings.TrimSpace(v)) {
		case "1", "true", "yes", "on":
			*out = true
		case "0", "false", "no", "off":
			*out = false
		default:
			return errors.New("want 1 or 0")
		}
		return nil
	})
	return out
}

// Brokers is a comma-separated list of host:port seed brokers.
func (s *Set) Brokers(def string) *[]string {
	out := new([]string)
	s.raw("BROKERS", def, "comma-separated host:port seed brokers", func(v string) error {
		list, err := ParseBrokers(v)
		*out = list
		return err
	})
	return out
}

// OptionalBrokers is BROKERS for a command that starts a broker of its own
// when none is given (experiment, bench): nil then.
func (s *Set) OptionalBrokers(help string) *[]string {
	out := new([]string)
	s.Optional("BROKERS", help, func(v string) error {
		list, err := ParseBrokers(v)
		*out = list
		return err
	})
	return out
}

// ParseBrokers splits and checks a BROKERS value.
func ParseBrokers(v string) ([]string, error) {
	var list []string
	for _, b := range strings.Split(v, ",") {
		b = strings.TrimSpace(b)
		if b == "" {
			continue
		}
		host, port, err := net.SplitHostPort(b)
		if err != nil || host == "" {
			return nil, fmt.Errorf("want host:port, e.g. 127.0.0.1:9092 (got %q)", b)
		}
		if p, err := strconv.Atoi(port); err != nil || p < 1 || p > 65535 {
			return nil, fmt.Errorf("port of %q must be a number from 1 to 65535", b)
		}
		list = append(list, b)
	}
	if len(list) == 0 {
		return nil, errors.New("must name at least one host:port")
	}
	return list, nil
}

// Kafka's own rule for topic names (kafka.common.internals.Topic).
var topicName = regexp.MustCompile(`^[a-zA-Z0-9._-]{1,249}$`)

// Topic is a Kafka topic name.
func (s *Set) Topic(def string) *string {
	return s.suffixed(".", s.raw("TOPIC", def, "topic the orders live in", checkTopic))
}

// OutputTopic is the topic a consumer that produces writes to.
func (s *Set) OutputTopic(def string) *string {
	return s.suffixed(".", s.raw("OUTPUT_TOPIC", def, "topic the tickets are written to (the transactional consumer)", checkTopic))
}

func checkTopic(v string) error {
	if !topicName.MatchString(v) || v == "." || v == ".." {
		return errors.New("a topic name is 1 to 249 of a-z A-Z 0-9 . _ -, and neither . nor .. alone")
	}
	return nil
}

// Group is a consumer group id.
func (s *Set) Group(def string) *string {
	return s.suffixed("-", s.raw("GROUP", def, "consumer group id", checkGroup))
}

// Groups is one or more comma-separated group ids (the admin commands).
func (s *Set) Groups(def, help string) *string {
	return s.suffixed("-", s.raw("GROUP", def, help, func(v string) error {
		for _, g := range strings.Split(v, ",") {
			if err := checkGroup(strings.TrimSpace(g)); err != nil {
				return err
			}
		}
		return nil
	}))
}

func checkGroup(v string) error {
	if strings.TrimSpace(v) == "" || len(v) > 255 || strings.ContainsAny(v, "\n\r\t") {
		return errors.New("a group id is 1 to 255 characters with no tabs or line breaks")
	}
	return nil
}

var learnerName = regexp.MustCompile(`^[a-zA-Z0-9_-]{1,40}$`)

// suffixed appends sep+LEARNER to the name p (each name of a comma-separated
// list) once everything is parsed: with LEARNER=alice, brew.orders.v1 is
// brew.orders.v1.alice and kitchen-auto kitchen-auto-alice, so a class shares
// one cluster without two learners reading or committing each other's.
func (s *Set) suffixed(sep string, p *string) *string {
	if s.learner == nil {
		s.learner = s.Optional("LEARNER", "a class on one cluster: your name, appended to the topics and groups (brew.orders.v1.alice, kitchen-auto-alice)", func(v string) error {
			if !learnerName.MatchString(v) {
				return errors.New("a learner name is 1 to 40 of a-z A-Z 0-9 _ -")
			}
			return nil
		})
	}
	learner := s.learner
	s.checks = append(s.checks, func() error {
		if *learner == "" || !learnerName.MatchString(*learner) {
			return nil
		}
		names := strings.Split(*p, ",")
		for i, n := range names {
			names[i] = strings.TrimSpace(n) + sep + *learner
		}
		*p = strings.Join(names, ",")
		return nil
	})
	return p
}

// Fail answers a Parse error the way every lab binary does, and returns the
// exit code for main: -h prints the settings (0); anything else prints one
// clear message (2).
func Fail(name string, s *Set, err error) int {
	if errors.Is(err, flag.ErrHelp) {
		fmt.Fprintf(os.Stdout, "usage: %s [flags]\n%s\n", name, s.Usage())
		return 0
	}
	fmt.Fprintf(os.Stderr, "%s: bad settings:\n%s\n(run %s -h for every setting)\n", name, indent(err.Error()), name)
	return 2
}

func indent(s string) string {
	return "  " + strings.ReplaceAll(s, "\n", "\n  ")
}

// Names are every setting a lab binary reads from the environment: what the
// experiment, the bench and the tests clear from the environment they hand
// to the binaries, so that what a learner has set in the shell cannot change
// their runs.
var Names = []string{
	"BROKERS", "SASL_MECHANISM", "SASL_USER", "SASL_PASSWORD", "SASL_PASSWORD_FILE", "TLS", "TLS_CA", "TLS_SERVER_NAME",
	"TOPIC", "OUTPUT_TOPIC", "GROUP", "LEARNER", "INSTANCE", "CRASH", "CRASH_WHEN", "WORK_DELAY", "WORK_HOLD", "COMMIT_EVERY", "COMMIT_PER",
	"MAX_POLL_RECORDS", "GREEDY", "HANDOFF", "LOG", "EVENTS", "IDLE_EXIT", "RESET", "REBALANCE_TIMEOUT", "SESSION_TIMEOUT", "GROUP_PROTOCOL", "PRINT", "CPUPROFILE", "POISON", "ON_FAIL",
	"TRANSACTION_TIMEOUT", "DATABASE_URL", "SEED_MESSAGES", "PARTITIONS", "REPLICATION",
	"BROKER_PORT", "BROKER_DATA", "BROKER_NODES", "BROKER_SESSION_TIMEOUT", "BROKER_VERSION", "BROKER_SASL", "BROKER_TLS_CERT", "BROKER_TLS_KEY",
	"ERR", "COUNT", "DELAY", "TO", "EXECUTE", "PARTITION", "INTERVAL", "ONCE",
	"NEW_USER", "NEW_PASSWORD", "NEW_PASSWORD_FILE", "NEW_MECHANISM",
	"OUT", "TITLE", "SCENARIOS", "STRATEGIES", "ROUNDS", "BENCH_RECORDS", "BENCH_ROWS", "BENCH_BROKER",
}
