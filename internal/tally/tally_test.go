package tally

import (
	"reflect"
	"testing"

	"offsetlab/internal/processedlog"
)

func entries(pairs ...[2]int64) []processedlog.Entry {
	var es []processedlog.Entry
	for _, p := range pairs {
		es = append(es, processedlog.Entry{Partition: int32(p[0]), Offset: p[1]})
	}
	return es
}

func offs(p int32, from, to int64) [][2]int64 {
	var out [][2]int64
	for o := from; o <= to; o++ {
		out = append(out, [2]int64{int64(p), o})
	}
	return out
}

func join(parts ...[][2]int64) []processedlog.Entry {
	var all [][2]int64
	for _, p := range parts {
		all = append(all, p...)
	}
	return entries(all...)
}

var tenEach = map[int32]Range{0: {0, 10}, 1: {0, 10}, 2: {0, 10}}

func TestCount(t *testing.T) {
	tests := []struct {
		name     string
		log      []processedlog.Entry
		ranges   map[int32]Range
		headline string
		dup0     []int64
		lost2    []int64
	}{
		{
			name:     "lesson: crash after 10 before any commit, then the rest",
			log:      join(offs(0, 0, 9), offs(0, 0, 9), offs(1, 0, 9), offs(2, 0, 9)),
			ranges:   tenEach,
			headline: "processed-auto.log: total=40 unique-offsets=30 duplicates=10 lost=0",
			dup0:     []int64{0, 1, 2, 3, 4, 5, 6, 7, 8, 9},
		},
		{
			name:     "greedy: 20 processed, p2 committed but never processed",
			log:      join(offs(0, 0, 9), offs(1, 0, 9)),
			ranges:   tenEach,
			headline: "processed-auto.log: total=20 unique-offsets=20 duplicates=0 lost=10",
			lost2:    []int64{0, 1, 2, 3, 4, 5, 6, 7, 8, 9},
		},
		{
			name: "duplicates and losses together: the line count alone would say 30 of 30",
			log:  join(offs(0, 0, 9), offs(0, 0, 4), offs(1, 0, 9), offs(2, 5, 9)),
			// 30 lines, but p0 0-4 twice and p2 0-4 never.
			ranges:   tenEach,
			headline: "processed-auto.log: total=30 unique-offsets=25 duplicates=5 lost=5",
			dup0:     []int64{0, 1, 2, 3, 4},
			lost2:    []int64{0, 1, 2, 3, 4},
		},
		{
			name:     "broker not asked",
			log:      join(offs(0, 0, 2), offs(0, 2, 2)),
			headline: "processed-auto.log: total=4 unique-offsets=3 duplicates=1 lost=?",
			dup0:     []int64{2},
		},
		{
			name:     "a record processed three times counts two duplicates",
			log:      join(offs(0, 0, 0), offs(0, 0, 0), offs(0, 0, 0)),
			ranges:   map[int32]Range{0: {0, 1}},
			headline: "processed-auto.log: total=3 unique-offsets=1 duplicates=2 lost=0",
			dup0:     []int64{0},
		},
		{
			name:     "offsets before log start are not lost",
			log:      join(offs(0, 5, 9)),
			ranges:   map[int32]Range{0: {5, 10}},
			headline: "processed-auto.log: total=5 unique-offsets=5 duplicates=0 lost=0",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := Count(tt.log, tt.ranges)
			if got := r.Headline("processed-auto.log"); got != tt.headline {
				t.Errorf("headline\n got %s\nwant %s", got, tt.headline)
			}
			byID := map[int32]Partition{}
			for _, p := range r.Partitions {
				byID[p.ID] = p
			}
			if !reflect.DeepEqual(byID[0].Duplicated, tt.dup0) {
				t.Errorf("p0 duplicated %v, want %v", byID[0].Duplicated, tt.dup0)
			}
			if len(tt.lost2) > 0 && !reflect.DeepEqual(byID[2].Lost, tt.lost2) {
				t.Errorf("p2 lost %v, want %v", byID[2].Lost, tt.lost2)
			}
		})
	}
}

func TestRanges(t *testing.T) {
	tests := map[string][]int64{
		"":          nil,
		"7":         {7},
		"0-4":       {0, 1, 2, 3, 4},
		"0-1,3,5-6": {0, 1, 3, 5, 6},
	}
	for want, in := range tests {
		if got := Ranges(in); got != want {
			t.Errorf("Ranges(%v) = %q, want %q", in, got, want)
		}
	}
}

func TestDetail(t *testing.T) {
	r := Count(join(offs(0, 0, 9), offs(0, 5, 9)), map[int32]Range{0: {0, 12}})
	want := "  p0: 15 lines, 10 unique of offsets 0-11 in the topic; duplicated: 5-9; lost: 10-11"
	if got := r.Partitions[0].Detail(); got != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
}
