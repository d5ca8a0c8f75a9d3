// timeline draws what a consumer did, from its events log and its processed
// log: one lane per partition, time across, every processed record a mark at
// its offset (orange when processed again), offsets never processed as red
// crosses, the group's committed offset as a purple step line, and a line for
// every start, crash, kill, stop and rebalance. It writes OUT (SVG) and a page
// beside it (.html) with the numbers.
//
//	timeline -events events-sync.jsonl -log processed-sync.log -out timeline-sync.svg
//
// The broker on BROKERS is asked for TOPIC's offsets, to find the offsets
// never processed; without an answer the picture is drawn all the same, and
// says lost=?.
package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"offsetlab/internal/cluster"
	"offsetlab/internal/config"
	"offsetlab/internal/timeline"
)

func main() {
	s := config.New("timeline", os.Getenv)
	conn := s.Connection(config.DefaultBrokers)
	topic := s.Topic(config.DefaultTopic)
	log := s.String("LOG", "processed-auto.log", "processed log of the runs to draw")
	evs := s.String("EVENTS", "events-auto.jsonl", "events log of the runs to draw")
	out := s.String("OUT", "timeline-auto.svg", "the picture to write; the page with the numbers goes beside it (.html)")
	title := s.Optional("TITLE", "the picture's title (default: the strategy and the logs)", nil)
	if err := s.Parse(os.Args[1:]); err != nil {
		os.Exit(config.Fail("timeline", s, err))
	}

	note := ""
	ranges, err := cluster.TopicRanges(context.Background(), *conn, *topic)
	if err != nil {
		note = fmt.Sprintf("lost=? (offsets never processed are not drawn) because %v", err)
	}

	t, err := timeline.FromFiles(*title, *evs, *log, ranges)
	if errors.Is(err, os.ErrNotExist) {
		fmt.Fprintf(os.Stderr, "timeline: error: %v (or `make clean-logs` removed it)\n", err)
		os.Exit(2)
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "timeline: error: %v\n", err)
		os.Exit(2)
	}
	if t.Title == "" {
		t.Title = fmt.Sprintf("%s: processed vs committed (%s)", t.Strategy, filepath.Base(*log))
	}
	page, err := t.Write(*out)
	if err != nil {
		fmt.Fprintf(os.Stderr, "timeline: error: %v\n", err)
		os.Exit(2)
	}
	fmt.Printf("wrote %s and %s: %d run(s), %s\n", *out, page, len(t.Runs), t.Headline)
	if note != "" {
		fmt.Println("  " + note)
	}
}
