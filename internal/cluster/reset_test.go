package cluster

import (
	"strings"
	"testing"
	"time"
)

func TestParseResetSpec(t *testing.T) {
	good := map[string]string{
		"earliest":                           "earliest",
		"latest":                             "latest",
		"datetime:2026-05-01T00:00:00Z":      "datetime:2026-05-01T00:00:00Z",
		"datetime:2026-05-01T02:00:00+02:00": "datetime:2026-05-01T00:00:00Z",
		"shift:-10":                          "shift:-10",
		"shift:+10":                          "shift:+10",
		"shift:3":                            "shift:+3",
		"offset:42":                          "offset:42",
		"offset:0":                           "offset:0",
	}
	for in, want := range good {
		s, err := ParseResetSpec(in)
		if err != nil || s.String() != want {
			t.Errorf("ParseResetSpec(%q) = %v, %v; want %s", in, s, err, want)
		}
	}
	bad := []string{"", "yesterday", "earliest:1", "datetime:2026-05-01", "datetime:tomorrow", "shift:", "shift:0", "shift:x", "offset:-1", "offset:"}
	for _, in := range bad {
		_, err := ParseResetSpec(in)
		if err == nil || !strings.Contains(err.Error(), ResetForms) {
			t.Errorf("ParseResetSpec(%q) = %v; want an error listing the forms", in, err)
		}
	}
}

func TestPlan(t *testing.T) {
	partitions := []PartitionOffsets{
		{Partition: 2, Committed: -1, LogStart: 3, LogEnd: 10}, // nothing committed: starts at log start 3
		{Partition: 0, Committed: 10, LogStart: 0, LogEnd: 10},
		{Partition: 1, Committed: 4, LogStart: 0, LogEnd: 10},
	}
	type want struct{ new, change int64 }
	tests := []struct {
		spec    string
		byTime  map[int32]int64
		want    map[int32]want
		clamped map[int32]string
	}{
		{"earliest", nil, map[int32]want{0: {0, 10}, 1: {0, 4}, 2: {3, 0}}, nil},
		{"latest", nil, map[int32]want{0: {10, 0}, 1: {10, -6}, 2: {10, -7}}, nil},
		{"shift:-5", nil, map[int32]want{0: {5, 5}, 1: {0, 4}, 2: {3, 0}}, map[int32]string{1: "-1 is before the log start: clamped to 0", 2: "-2 is before the log start: clamped to 3"}},
		{"shift:+5", nil, map[int32]want{0: {10, 0}, 1: {9, -5}, 2: {8, -5}}, map[int32]string{0: "15 is past the log end: clamped to 10"}},
		{"offset:7", nil, map[int32]want{0: {7, 3}, 1: {7, -3}, 2: {7, -4}}, nil},
		{"offset:1", nil, map[int32]want{0: {1, 9}, 1: {1, 3}, 2: {3, 0}}, map[int32]string{2: "1 is before the log start: clamped to 3"}},
		{"datetime:2026-05-01T00:00:00Z", map[int32]int64{0: 2, 1: 10, 2: 5}, map[int32]want{0: {2, 8}, 1: {10, -6}, 2: {5, -2}}, nil},
	}
	for _, tt := range tests {
		spec, err := ParseResetSpec(tt.spec)
		if err != nil {
			t.Fatal(err)
		}
		rows := Plan(spec, partitions, tt.byTime)
		if len(rows) != 3 || rows[0].Partition != 0 || rows[2].Partition != 2 {
			t.Fatalf("%s: %d rows", tt.spec, len(rows))
		}
		for _, r := range rows {
			w := tt.want[r.Partition]
			if r.New != w.new || r.Change() != w.change || r.Clamped != tt.clamped[r.Partition] {
				t.Errorf("%s p%d: new=%d change=%d clamped=%q; want new=%d change=%d clamped=%q",
					tt.spec, r.Partition, r.New, r.Change(), r.Clamped, w.new, w.change, tt.clamped[r.Partition])
			}
		}
	}
}

func TestResetSpecDatetimeKeepsZone(t *testing.T) {
	s, err := ParseResetSpec("datetime:2026-05-01T02:00:00+02:00")
	if err != nil || !s.At.Equal(time.Date(2026, 5, 1, 0, 0, 0, 0, time.UTC)) {
		t.Fatalf("%v %v", s.At, err)
	}
}
