package timeline

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"offsetlab/internal/events"
	"offsetlab/internal/processedlog"
	"offsetlab/internal/tally"
)

// FromFiles builds the timeline of an events log and its processed log. A
// missing processed log is not an error (the marks then come from the events
// alone); ranges nil means lost offsets are unknown.
func FromFiles(title, eventsPath, logPath string, ranges map[int32]tally.Range) (*Timeline, error) {
	es, err := events.ReadFile(eventsPath)
	if errors.Is(err, os.ErrNotExist) {
		return nil, missing(eventsPath)
	}
	if err != nil {
		return nil, err
	}
	entries, err := processedlog.ReadFile(logPath)
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return nil, err
	}
	if entries == nil && err == nil {
		entries = []processedlog.Entry{}
	}
	return Build(Input{Title: title, Events: es, Processed: entries, Ranges: ranges, LogName: logPath})
}

// Write writes the picture to svgPath and the page with the numbers beside
// it to the same name ending in .html, and returns the page's path.
func (t *Timeline) Write(svgPath string) (string, error) {
	if dir := filepath.Dir(svgPath); dir != "." {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return "", err
		}
	}
	if err := os.WriteFile(svgPath, []byte(t.SVG()), 0o644); err != nil {
		return "", err
	}
	page := strings.TrimSuffix(svgPath, filepath.Ext(svgPath)) + ".html"
	if err := os.WriteFile(page, []byte(t.HTML()), 0o644); err != nil {
		return "", err
	}
	return page, nil
}

// missing is a missing events log: errors.Is(err, os.ErrNotExist).
type missing string

func (m missing) Error() string {
	return fmt.Sprintf("EVENTS=%s does not exist: no run has written it yet", string(m))
}

func (m missing) Is(target error) bool { return target == os.ErrNotExist }
