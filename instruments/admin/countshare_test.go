package main

import (
	"testing"

	"offsetlab/internal/processedlog"
)

// What a share consumer's log says became of each record.
func TestCountDeliveries(t *testing.T) {
	e := func(o int64, delivery int32, ack string) processedlog.Entry {
		return processedlog.Entry{Partition: 0, Offset: o, Key: "k", Delivery: delivery, Ack: ack}
	}
	tests := []struct {
		name    string
		log     []processedlog.Entry
		fate    string // of offset 0
		unique  int
		answers string
	}{
		{"accepted", []processedlog.Entry{e(0, 1, "accept")}, "accepted", 1, "accept=1 release=0 reject=0"},
		{"released, then accepted", []processedlog.Entry{e(0, 1, "release"), e(0, 2, "accept")}, "accepted", 1, "accept=1 release=1 reject=0"},
		{"released below the limit: still to come", []processedlog.Entry{e(0, 1, "release"), e(0, 2, "release")}, "", 1, "accept=0 release=2 reject=0"},
		{"released on the last delivery: archived", []processedlog.Entry{e(0, 1, "release"), e(0, 2, "release"), e(0, 3, "release")}, "archived", 1, "accept=0 release=3 reject=0"},
		{"rejected: archived", []processedlog.Entry{e(0, 1, "reject")}, "archived", 1, "accept=0 release=0 reject=1"},
		{"accepted, then delivered again (the answer was lost)", []processedlog.Entry{e(0, 1, "accept"), e(0, 2, "reject")}, "accepted", 1, "accept=1 release=0 reject=1"},
		{"a consumer group's log", []processedlog.Entry{{Offset: 0, Key: "k"}}, "", 1, "accept=0 release=0 reject=0 none=1 (lines without a share group's answer: not a share consumer's log?)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := countDeliveries(tt.log, 3)
			if got := c.fate[key{0, 0}]; got != tt.fate || len(c.seen) != tt.unique || c.deliveries != len(tt.log) || c.answersLine() != tt.answers {
				t.Errorf("fate %q unique %d deliveries %d answers %q; want %q %d %d %q", got, len(c.seen), c.deliveries, c.answersLine(), tt.fate, tt.unique, len(tt.log), tt.answers)
			}
		})
	}
}
