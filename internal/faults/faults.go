// Package faults makes the embedded broker fail or delay offset commits on
// purpose, so that a learner can watch what each commit strategy does when a
// commit fails: the lesson's "commits can fail" without waiting for a real
// outage.
//
// The broker (bin/broker) holds an Injector over its kfake cluster and serves
// it on a loopback-only HTTP endpoint, whose address it writes into its data
// directory (BROKER_DATA/control). The lab's `broker fault-commit`,
// `broker fault-clear` and `broker faults` commands find it there. Errors
// are kfake Faults on OffsetCommit requests (answered by the broker itself,
// like a real broker's refusal); delays hold each OffsetCommit request for a
// while before the broker handles it.
package faults

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
)

// Spec is one fault: what the next OffsetCommit requests get.
type Spec struct {
	Err   string        `json:"err,omitempty"`   // a Kafka error name; "" answers normally (after Delay)
	Count int           `json:"count"`           // requests to affect; All until cleared
	Delay time.Duration `json:"delay,omitempty"` // held this long before the broker handles it
	Group string        `json:"group,omitempty"` // "" affects every group
}

// All as a Count: every request until the fault is cleared.
const All = -1

// Suggested are the errors the lab documents; any Kafka error name is taken.
var Suggested = []string{"COORDINATOR_NOT_AVAILABLE", "NOT_COORDINATOR", "REBALANCE_IN_PROGRESS", "REQUEST_TIMED_OUT", "UNKNOWN_MEMBER_ID"}

// MaxDelay bounds DELAY: kgo gives up on a request after about 10s plus the
// request's own timeout, and retries it, so a longer delay tests the client's
// timeout rather than a slow commit.
const MaxDelay = 30 * time.Second

// ParseErr returns the Kafka error of that name (case-insensitive, e.g.
// COORDINATOR_NOT_AVAILABLE).
func ParseErr(name string) (*kerr.Error, error) {
	want := strings.ToUpper(strings.TrimSpace(name))
	for code := int16(1); code < 200; code++ {
		if e := kerr.TypedErrorForCode(code); e != nil && e.Message == want {
			return e, nil
		}
	}
	return nil, fmt.Errorf("not a Kafka error name: want one such as %s", strings.Join(Suggested, ", "))
}

// ParseCount reads COUNT: a number of requests from 1 up, or "all".
func ParseCount(v string) (int, error) {
	v = strings.TrimSpace(v)
	if strings.EqualFold(v, "all") {
		return All, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 || n > 1_000_000 {
		return 0, errors.New(`want a number of commit requests from 1 to 1000000, or "all" (until the faults are cleared)`)
	}
	return n, nil
}

// Check says what is wrong with a spec, naming the setting.
func (s Spec) Check() error {
	if s.Err == "" && s.Delay == 0 {
		return errors.New("say what the commits get: ERR=COORDINATOR_NOT_AVAILABLE (or another Kafka error), DELAY=2s, or both")
	}
	if s.Err != "" {
		if _, err := ParseErr(s.Err); err != nil {
			return fmt.Errorf("ERR=%q: %w", s.Err, err)
		}
	}
	if s.Delay < 0 || s.Delay > MaxDelay {
		return fmt.Errorf("DELAY=%s: want a duration from 1ms to %s", s.Delay, MaxDelay)
	}
	if s.Count != All && s.Count < 1 {
		return fmt.Errorf("COUNT=%d: want a number from 1, or all", s.Count)
	}
	return nil
}

// String says what the fault does, e.g. "the next 3 OffsetCommit requests of
// group kitchen-sync fail with COORDINATOR_NOT_AVAILABLE".
func (s Spec) String() string {
	which := fmt.Sprintf("the next %d OffsetCommit requests", s.Count)
	if s.Count == 1 {
		which = "the next OffsetCommit request"
	}
	if s.Count == All {
		which = "every OffsetCommit request until cleared"
	}
	if s.Group != "" {
		which += " of group " + s.Group
	} else {
		which += " (any group)"
	}
	var what []string
	if s.Delay > 0 {
		what = append(what, "answered "+s.Delay.String()+" late")
	}
	if s.Err != "" {
		what = append(what, "fail with "+strings.ToUpper(s.Err))
	}
	return which + ": " + strings.Join(what, ", then ")
}

// Status is an installed fault and what it has done so far.
type Status struct {
	ID      int       `json:"id"`
	Spec    Spec      `json:"spec"`
	Hits    int       `json:"hits"` // requests it affected
	Active  bool      `json:"active"`
	Cleared bool      `json:"cleared"`
	Added   time.Time `json:"added"`
}

// String is one line of `broker faults`.
func (st Status) String() string {
	state := "active"
	switch {
	case st.Cleared:
		state = "cleared"
	case !st.Active:
		state = "spent"
	}
	of := ""
	if st.Spec.Count != All {
		of = fmt.Sprintf(" of %d", st.Spec.Count)
	}
	return fmt.Sprintf("fault %d (%s, added %s): %s; affected %d%s so far", st.ID, state, st.Added.Format("15:04:05"), st.Spec, st.Hits, of)
}
