// Package lines is how every consumer of the lab prints: one line at a time,
// "15:04:05.000 NAME | text", whole, from any goroutine. The tests, the
// experiment and the bench read these lines, so there is one format.
package lines

import (
	"fmt"
	"io"
	"sync"
	"time"
)

// Printer writes the lines of one run to W, each marked with Prefix (the
// consumer's name).
type Printer struct {
	W      io.Writer
	Prefix string
	mu     sync.Mutex
}

// Printf writes one line.
func (p *Printer) Printf(format string, args ...any) {
	p.mu.Lock()
	defer p.mu.Unlock()
	fmt.Fprintf(p.W, "%s %s | %s\n", time.Now().Format("15:04:05.000"), p.Prefix, fmt.Sprintf(format, args...))
}
