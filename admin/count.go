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
	entries, err := processedlog.ReadFile(s.log)
	if errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("LOG=%s does not exist: no run has written it yet (or `make clean-logs` removed it)", s.log)
	}
	if err != nil {
		return err
	}
	var ranges map[int32]tally.Range
	var note string
	if adm, err := cluster.Dial(ctx, s.brokers); err != nil {
		note = fmt.Sprintf("lost=? because %v", err)
	} else {
		ranges, err = adm.Ranges(ctx, s.topic)
		adm.Close()
		if err != nil {
			ranges, note = nil, fmt.Sprintf("lost=? because %v", err)
		}
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
