// Package tally counts what a processed log says happened: how many records
// were processed, how many distinct offsets that was, how many were processed
// more than once, and which offsets the topic holds that were never processed.
//
// "Lost" is measured against the topic itself (each partition's log start and
// end offsets), not as SEED_MESSAGES minus total lines: when a run both
// duplicates and loses records, the two can cancel out in a plain line count.
package tally

import (
	"fmt"
	"sort"
	"strconv"
	"strings"

	"offsetlab/internal/processedlog"
)

// Range is a partition's offsets [Start, End): log start offset and log end
// offset (the offset the next record will get).
type Range struct{ Start, End int64 }

// Partition is the tally for one partition.
type Partition struct {
	ID         int32
	Lines      int     // lines in the log for this partition
	Unique     int     // distinct offsets
	Duplicated []int64 // offsets processed more than once, ascending
	Extra      int     // lines beyond the first for each offset
	Lost       []int64 // offsets in the topic never processed; nil if unknown
	Range      *Range  // nil if the topic was not asked
}

// Result is the tally of a whole log.
type Result struct {
	Total      int
	Unique     int
	Duplicates int
	Lost       int // -1 when the topic's offsets are unknown
	Partitions []Partition
}

// Count tallies entries. ranges gives each partition's offsets in the topic;
// nil means the topic could not be asked, and Lost is then -1.
func Count(entries []processedlog.Entry, ranges map[int32]Range) Result {
	seen := map[int32]map[int64]int{}
	for _, e := range entries {
		if seen[e.Partition] == nil {
			seen[e.Partition] = map[int64]int{}
		}
		seen[e.Partition][e.Offset]++
	}
	ids := map[int32]bool{}
	for p := range seen {
		ids[p] = true
	}
	for p := range ranges {
		ids[p] = true
	}
	r := Result{Total: len(entries), Lost: -1}
	if ranges != nil {
		r.Lost = 0
	}
	for id := range ids {
		pt := Partition{ID: id}
		for off, n := range seen[id] {
			pt.Lines += n
			pt.Unique++
			if n > 1 {
				pt.Duplicated = append(pt.Duplicated, off)
				pt.Extra += n - 1
			}
		}
		sort.Slice(pt.Duplicated, func(i, j int) bool { return pt.Duplicated[i] < pt.Duplicated[j] })
		if ranges != nil {
			rg, ok := ranges[id]
			if ok {
				pt.Range = &rg
				pt.Lost = []int64{}
				for off := rg.Start; off < rg.End; off++ {
					if seen[id][off] == 0 {
						pt.Lost = append(pt.Lost, off)
					}
				}
			}
			r.Lost += len(pt.Lost)
		}
		r.Unique += pt.Unique
		r.Duplicates += pt.Extra
		r.Partitions = append(r.Partitions, pt)
	}
	sort.Slice(r.Partitions, func(i, j int) bool { return r.Partitions[i].ID < r.Partitions[j].ID })
	return r
}

// Headline is the first line `make count-*` prints, e.g.
// "processed-auto.log: total=40 unique-offsets=30 duplicates=10 lost=0".
func (r Result) Headline(name string) string {
	lost := "?"
	if r.Lost >= 0 {
		lost = strconv.Itoa(r.Lost)
	}
	return fmt.Sprintf("%s: total=%d unique-offsets=%d duplicates=%d lost=%s", name, r.Total, r.Unique, r.Duplicates, lost)
}

// Detail is one line per partition saying which offsets were duplicated or lost.
func (p Partition) Detail() string {
	var b strings.Builder
	fmt.Fprintf(&b, "  p%d: %d lines, %d unique", p.ID, p.Lines, p.Unique)
	if p.Range != nil {
		fmt.Fprintf(&b, " of offsets %s in the topic", span(p.Range.Start, p.Range.End))
	}
	b.WriteString("; duplicated: ")
	b.WriteString(orNone(Ranges(p.Duplicated)))
	if p.Lost != nil {
		b.WriteString("; lost: ")
		b.WriteString(orNone(Ranges(p.Lost)))
	} else {
		b.WriteString("; lost: ? (broker not asked)")
	}
	return b.String()
}

func span(start, end int64) string {
	if end <= start {
		return "(none)"
	}
	if end-start == 1 {
		return strconv.FormatInt(start, 10)
	}
	return fmt.Sprintf("%d-%d", start, end-1)
}

func orNone(s string) string {
	if s == "" {
		return "none"
	}
	return s
}

// Ranges folds ascending offsets into "0-4,7,9-10".
func Ranges(offs []int64) string {
	var parts []string
	for i := 0; i < len(offs); {
		j := i
		for j+1 < len(offs) && offs[j+1] == offs[j]+1 {
			j++
		}
		if i == j {
			parts = append(parts, strconv.FormatInt(offs[i], 10))
		} else {
			parts = append(parts, fmt.Sprintf("%d-%d", offs[i], offs[j]))
		}
		i = j + 1
	}
	return strings.Join(parts, ",")
}
