package faults

import (
	"strings"
	"testing"
	"time"
)

func TestParseErr(t *testing.T) {
	for _, name := range append(Suggested, "group_authorization_failed", " NOT_COORDINATOR ") {
		e, err := ParseErr(name)
		if err != nil || e.Message != strings.ToUpper(strings.TrimSpace(name)) {
			t.Errorf("ParseErr(%q) = %v, %v", name, e, err)
		}
	}
	for _, bad := range []string{"", "BOGUS", "coordinator not available"} {
		if _, err := ParseErr(bad); err == nil || !strings.Contains(err.Error(), "COORDINATOR_NOT_AVAILABLE") {
			t.Errorf("ParseErr(%q): want an error listing the suggested names, got %v", bad, err)
		}
	}
}

func TestParseCount(t *testing.T) {
	tests := []struct {
		in   string
		want int
		ok   bool
	}{
		{"1", 1, true}, {"3", 3, true}, {"all", All, true}, {"ALL", All, true},
		{"0", 0, false}, {"-1", 0, false}, {"three", 0, false}, {"", 0, false}, {"2000000", 0, false},
	}
	for _, tt := range tests {
		got, err := ParseCount(tt.in)
		if (err == nil) != tt.ok || (tt.ok && got != tt.want) {
			t.Errorf("ParseCount(%q) = %d, %v; want %d ok=%v", tt.in, got, err, tt.want, tt.ok)
		}
	}
}

func TestSpecCheckAndString(t *testing.T) {
	tests := []struct {
		s       Spec
		wantErr string
		text    string
	}{
		{Spec{Count: 1}, "say what the commits get", ""},
		{Spec{Err: "NOPE", Count: 1}, `ERR="NOPE"`, ""},
		{Spec{Delay: time.Hour, Count: 1}, "DELAY=1h0m0s", ""},
		{Spec{Err: "REBALANCE_IN_PROGRESS", Count: 0}, "COUNT=0", ""},
		{Spec{Err: "COORDINATOR_NOT_AVAILABLE", Count: 3, Group: "kitchen-sync"}, "",
			"the next 3 OffsetCommit requests of group kitchen-sync: fail with COORDINATOR_NOT_AVAILABLE"},
		{Spec{Delay: 2 * time.Second, Count: All}, "", "every OffsetCommit request until cleared (any group): answered 2s late"},
		{Spec{Err: "REQUEST_TIMED_OUT", Delay: time.Second, Count: 1}, "",
			"the next OffsetCommit request (any group): answered 1s late, then fail with REQUEST_TIMED_OUT"},
	}
	for _, tt := range tests {
		err := tt.s.Check()
		if tt.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("%+v: want error %q, got %v", tt.s, tt.wantErr, err)
			}
			continue
		}
		if err != nil {
			t.Errorf("%+v: %v", tt.s, err)
		}
		if got := tt.s.String(); got != tt.text {
			t.Errorf("%+v: String() = %q, want %q", tt.s, got, tt.text)
		}
	}
}

func TestStatusLines(t *testing.T) {
	at := time.Date(2026, 11, 27, 10, 0, 0, 0, time.UTC)
	ss := []Status{
		{ID: 1, Spec: Spec{Err: "NOT_COORDINATOR", Count: 2}, Hits: 2, Added: at},
		{ID: 2, Spec: Spec{Delay: time.Second, Count: All}, Hits: 7, Active: true, Added: at},
	}
	got := Summary(ss)
	want := "fault 1 (spent, added 10:00:00): the next 2 OffsetCommit requests (any group): fail with NOT_COORDINATOR; affected 2 of 2 so far\n" +
		"fault 2 (active, added 10:00:00): every OffsetCommit request until cleared (any group): answered 1s late; affected 7 so far\n" +
		"1 active"
	if got != want {
		t.Errorf("Summary:\n%s\nwant:\n%s", got, want)
	}
	if Summary(nil) != "no faults: every OffsetCommit is answered normally" {
		t.Errorf("empty summary %q", Summary(nil))
	}
}
