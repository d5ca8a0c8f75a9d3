// Package proc runs the lab's binaries as real processes and watches what
// they print, line by line, so that whoever drives them (the experiment, the
// bench, the end-to-end tests) acts on what a run says ("first record",
// "assigned") instead of on the clock. A crash is the process's own
// os.Exit(1); a kill is a real SIGKILL.
package proc

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"time"
)

// Cmd is what to run.
type Cmd struct {
	Path string
	Args []string
	Env  []string // the whole environment (see Environ)
	Dir  string   // "" for this process's folder
	// Output, if set, is a file that gets every line the process prints
	// (stdout and stderr together), as it prints it.
	Output string
	// DieWithParent asks the kernel to SIGKILL the process when the one
	// that started it dies, however it dies (Linux; elsewhere a clean stop
	// must stop it): a broker an instrument started never outlives it.
	DieWithParent bool
}

// Proc is one run of a binary.
type Proc struct {
	name    string
	cmd     *exec.Cmd
	started time.Time

	mu    sync.Mutex
	lines []string
	grew  chan struct{} // a line came (buffered: a waiter misses none)
	done  chan struct{} // closed once the process ended and every line is read
	code  int
	usage *syscall.Rusage
}

// Start starts c.
func Start(c Cmd) (*Proc, error) {
	var out io.Writer = io.Discard
	var file *os.File
	if c.Output != "" {
		f, err := os.Create(c.Output)
		if err != nil {
			return nil, err
		}
		out, file = f, f
	}
	cmd := exec.Command(c.Path, c.Args...)
	cmd.Env, cmd.Dir = c.Env, c.Dir
	if c.DieWithParent {
		dieWithParent(cmd)
	}
	r, w := io.Pipe()
	cmd.Stdout, cmd.Stderr = w, w
	p := &Proc{name: c.Path, cmd: cmd, grew: make(chan struct{}, 1), done: make(chan struct{})}
	if i := strings.LastIndexByte(c.Path, '/'); i >= 0 {
		p.name = c.Path[i+1:]
	}
	p.started = time.Now()
	if err := cmd.Start(); err != nil {
		if file != nil {
			file.Close()
		}
		return nil, fmt.Errorf("start %s: %w", c.Path, err)
	}
	scanned := make(chan struct{})
	go func() {
		defer close(scanned)
		sc := bufio.NewScanner(r)
		sc.Buffer(make([]byte, 64*1024), 1024*1024)
		for sc.Scan() {
			fmt.Fprintln(out, sc.Text())
			p.mu.Lock()
			p.lines = append(p.lines, sc.Text())
			p.mu.Unlock()
			select {
			case p.grew <- struct{}{}:
			default:
			}
		}
		_, _ = io.Copy(io.Discard, r) // a line too long for the scanner: keep the pipe flowing
	}()
	go func() {
		err := cmd.Wait()
		w.Close()
		// Every line the process wrote is read before it counts as done:
		// its last lines (the stats, the summary) are what callers look for.
		<-scanned
		code := cmd.ProcessState.ExitCode()
		if ws, ok := cmd.ProcessState.Sys().(syscall.WaitStatus); ok && err != nil && ws.Signaled() {
			code = 128 + int(ws.Signal()) // as a shell reports it: SIGKILL is 137
		}
		p.mu.Lock()
		p.code = code
		p.usage, _ = cmd.ProcessState.SysUsage().(*syscall.Rusage)
		p.mu.Unlock()
		if file != nil {
			file.Close()
		}
		close(p.done)
	}()
	return p, nil
}

// Environ is this process's environment without the variables named in
// drop (the lab's settings, so that what a learner set in the shell cannot
// change a run), then kv ("KEY=value").
func Environ(drop []string, kv ...string) []string {
	gone := map[string]bool{}
	for _, k := range drop {
		gone[k] = true
	}
	var out []string
	for _, e := range os.Environ() {
		if k, _, _ := strings.Cut(e, "="); !gone[k] {
			out = append(out, e)
		}
	}
	return append(out, kv...)
}

// Name is the binary's file name.
func (p *Proc) Name() string { return p.name }

// Started is when it was started.
func (p *Proc) Started() time.Time { return p.started }

// Done is closed once the process has ended and all its output is read.
func (p *Proc) Done() <-chan struct{} { return p.done }

// Grew receives when a line came since the last receive.
func (p *Proc) Grew() <-chan struct{} { return p.grew }

// Code is the exit code once Done (128+N for a signal N), -1 before.
func (p *Proc) Code() int {
	select {
	case <-p.done:
	default:
		return -1
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.code
}

// Usage is the ended process's CPU time and peak memory (nil before).
func (p *Proc) Usage() *syscall.Rusage {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.usage
}

// Lines is a copy of what it printed so far.
func (p *Proc) Lines() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]string(nil), p.lines...)
}

// Output is what it printed so far.
func (p *Proc) Output() string { return strings.Join(p.Lines(), "\n") }

// Tail is its last n lines.
func (p *Proc) Tail(n int) string {
	lines := p.Lines()
	return strings.Join(lines[max(0, len(lines)-n):], "\n")
}

// Find returns the first line containing s.
func (p *Proc) Find(s string) (string, bool) {
	for _, line := range p.Lines() {
		if strings.Contains(line, s) {
			return line, true
		}
	}
	return "", false
}

// Count counts the lines containing s.
func (p *Proc) Count(s string) int {
	n := 0
	for _, line := range p.Lines() {
		if strings.Contains(line, s) {
			n++
		}
	}
	return n
}

// CountAfter counts the lines containing what that came after the first
// line containing from.
func (p *Proc) CountAfter(from, what string) int {
	n, counting := 0, false
	for _, line := range p.Lines() {
		if counting && strings.Contains(line, what) {
			n++
		}
		counting = counting || strings.Contains(line, from)
	}
	return n
}

// WaitFor waits until a line contains one of the strings, and returns it.
// It gives up, returning false, when the process ended without printing one,
// when timeout passed, or when ctx is done.
func (p *Proc) WaitFor(ctx context.Context, timeout time.Duration, s ...string) (string, bool) {
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	seen := 0
	look := func() (string, bool) {
		lines := p.Lines()
		for ; seen < len(lines); seen++ {
			for _, m := range s {
				if strings.Contains(lines[seen], m) {
					return lines[seen], true
				}
			}
		}
		return "", false
	}
	for {
		if line, ok := look(); ok {
			return line, true
		}
		select {
		case <-p.grew:
		case <-p.done:
			return look() // the last lines may have come with the end
		case <-deadline.C:
			return "", false
		case <-ctx.Done():
			return "", false
		}
	}
}

var partitionName = regexp.MustCompile(`\bp(\d+) from \d+`)

// WaitPartitions waits until the lines containing s have named n partitions
// ("reading p0 from 10, p1 from 10").
func (p *Proc) WaitPartitions(ctx context.Context, s string, n int, timeout time.Duration) error {
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	for ended := false; ; {
		seen := map[string]bool{}
		for _, line := range p.Lines() {
			if strings.Contains(line, s) {
				for _, m := range partitionName.FindAllStringSubmatch(line, -1) {
					seen[m[1]] = true
				}
			}
		}
		switch {
		case len(seen) >= n:
			return nil
		case ended:
			return fmt.Errorf("%s ended having named %d of %d partitions in %q lines: %s", p.name, len(seen), n, s, p.Tail(3))
		}
		select {
		case <-p.grew:
		case <-p.done:
			ended = true // every line is in: one last look
		case <-deadline.C:
			return fmt.Errorf("%s named %d of %d partitions in %q lines within %s: %s", p.name, len(seen), n, s, timeout, p.Tail(3))
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// Wait waits for the process to end and returns its exit code; past the
// timeout, or once ctx is done, it kills it and returns an error.
func (p *Proc) Wait(ctx context.Context, timeout time.Duration) (int, error) {
	t := time.NewTimer(timeout)
	defer t.Stop()
	select {
	case <-p.done:
	case <-t.C:
		p.Kill()
		return -1, fmt.Errorf("%s still running after %s: killed", p.name, timeout)
	case <-ctx.Done():
		p.Kill()
		return -1, ctx.Err()
	}
	return p.Code(), nil
}

// Signal sends sig (SIGINT is a learner's Ctrl+C).
func (p *Proc) Signal(sig os.Signal) error { return p.cmd.Process.Signal(sig) }

// Ended says whether the process has ended (and every line of it was read).
func (p *Proc) Ended() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// PID is the process's id.
func (p *Proc) PID() int { return p.cmd.Process.Pid }

// Kill is SIGKILL, and waits until the process is gone.
func (p *Proc) Kill() {
	_ = p.cmd.Process.Kill()
	<-p.done
}

// Run runs c to its end and fails, with its last lines, unless it exits 0
// within timeout.
func Run(ctx context.Context, c Cmd, timeout time.Duration) error {
	p, err := Start(c)
	if err != nil {
		return err
	}
	code, err := p.Wait(ctx, timeout)
	if err == nil && code != 0 {
		err = fmt.Errorf("%s %s: exit %d: %s", p.name, strings.Join(c.Args, " "), code, p.Tail(3))
	}
	return err
}
