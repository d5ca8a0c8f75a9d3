package config

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// CommitPer is how often manual-sync and manual-async commit from the loop,
// in Spring Kafka's words: after every polled batch (BATCH), after every
// record (RECORD, MANUAL_IMMEDIATE), every N records (COUNT), every T (TIME);
// only at a clean stop (manual-async's timer commits in between: the lesson
// texts' production pattern); or never (the benchmark's baseline).
type CommitPer struct {
	Kind  CommitPerKind // "" is CommitPerBatch
	Count int           // Kind "count": records between commits
	Every time.Duration // Kind "time": time between commits
}

// PerBatch says whether it commits after every polled batch (the zero
// value does too).
func (c CommitPer) PerBatch() bool { return c.Kind == "" || c.Kind == CommitPerBatch }

func (c CommitPer) String() string {
	switch c.Kind {
	case CommitPerCount:
		return fmt.Sprintf("count:%d", c.Count)
	case CommitPerTime:
		return "time:" + c.Every.String()
	case "":
		return string(CommitPerBatch)
	}
	return string(c.Kind)
}

// ParseCommitPer reads batch, record, count:N, time:T, shutdown or none.
func ParseCommitPer(v string) (CommitPer, error) {
	k, arg, hasArg := strings.Cut(strings.TrimSpace(v), ":")
	kind := CommitPerKind(k)
	switch {
	case (kind == CommitPerBatch || kind == CommitPerRecord || kind == CommitPerShutdown || kind == CommitPerNone) && !hasArg:
		return CommitPer{Kind: kind}, nil
	case kind == CommitPerCount && hasArg:
		n, err := strconv.Atoi(arg)
		if err != nil || n < 1 || n > 1_000_000 {
			return CommitPer{}, errors.New("count:N wants N from 1 to 1000000 records")
		}
		return CommitPer{Kind: kind, Count: n}, nil
	case kind == CommitPerTime && hasArg:
		d, err := time.ParseDuration(arg)
		if err != nil || d < time.Millisecond || d > time.Hour {
			return CommitPer{}, errors.New("time:T wants a duration from 1ms to 1h, such as time:500ms")
		}
		return CommitPer{Kind: kind, Every: d}, nil
	}
	return CommitPer{}, errors.New("want batch, record, count:N, time:T, shutdown or none")
}

// CommitPer is the COMMIT_PER setting.
func (s *Set) CommitPer() *CommitPer {
	out := new(CommitPer)
	s.raw("COMMIT_PER", "batch", "when the loop commits: batch, record, count:N, time:T, shutdown (only at a clean stop) or none (never: the benchmark's baseline)", func(v string) error {
		c, err := ParseCommitPer(v)
		*out = c
		return err
	})
	return out
}
