package main

import (
	"context"
	"errors"
	"fmt"
	"os"

	"offsetlab/internal/cluster"
	"offsetlab/internal/processedlog"
	"offsetlab/internal/tally"
)

// count prints exactly one headline, then a line per partition. Without a
// broker it still counts, and says lost=? since the topic could not be asked.
func count(ctx context.Context, s settings, _ *cluster.Client) error {
	entries, err := readLog(s.log)
	if err != nil {
		return err
	}
	var note string
	ranges, err := cluster.TopicRanges(ctx, s.conn, s.topic)
	if err != nil {
		note = fmt.Sprintf("lost=? because %v", err)
	}
	r := tally.Count(entries, ranges)
	fmt.Println(r.Headline(s.log))
	for _, p := range r.Partitions {
		fmt.Println(p.Detail())
	}
	if note != "" {
		fmt.Println("  " + note)
	}
	return nil
}

// readLog reads the processed log LOG, saying so when no run wrote it yet.
func readLog(path string) ([]processedlog.Entry, error) {
	entries, err := processedlog.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("LOG=%s does not exist: no run has written it yet (or `make clean-logs` removed it)", path)
	}
	return entries, err
}
