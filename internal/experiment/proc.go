package experiment

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

	"offsetlab/internal/config"
)

// proc is one run of a lab binary: a real process, its output kept in a
// file and watched line by line, so that a scenario can act when the run
// says something ("[7 this run", "assigned").
type proc struct {
	name string
	cmd  *exec.Cmd

	mu    sync.Mutex
	lines []string
	grew  chan struct{}
	done  chan struct{}
	code  int
	usage *syscall.Rusage // CPU time and peak memory, once it ended
}

// start runs bin with env (on top of a clean environment) and writes its
// output to outPath.
func start(bin, outPath string, env []string, args ...string) (*proc, error) {
	f, err := os.Create(outPath)
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(bin, args...)
	cmd.Env = append(cleanEnv(), env...)
	r, w := io.Pipe()
	cmd.Stdout, cmd.Stderr = w, w
	p := &proc{name: bin, cmd: cmd, grew: make(chan struct{}, 1), done: make(chan struct{})}
	if err := cmd.Start(); err != nil {
		f.Close()
		return nil, fmt.Errorf("start %s: %w", bin, err)
	}
	scanned := make(chan struct{})
	go func() {
		defer close(scanned)
		sc := bufio.NewScanner(r)
		sc.Buffer(make([]byte, 64*1024), 1024*1024)
		for sc.Scan() {
			fmt.Fprintln(f, sc.Text())
			p.mu.Lock()
			p.lines = append(p.lines, sc.Text())
			p.mu.Unlock()
			select {
			case p.grew <- struct{}{}:
			default:
			}
		}
	}()
	go func() {
		err := cmd.Wait()
		w.Close()
		// Every line the process wrote is read before it counts as done:
		// its last lines (the stats, the summary) are what callers look for.
		<-scanned
		code := cmd.ProcessState.ExitCode()
		if ws, ok := cmd.ProcessState.Sys().(syscall.WaitStatus); ok && err != nil && ws.Signaled() {
			code = 128 + int(ws.Signal())
		}
		p.mu.Lock()
		p.code = code
		p.usage, _ = cmd.ProcessState.SysUsage().(*syscall.Rusage)
		p.mu.Unlock()
		f.Close()
		close(p.done)
	}()
	return p, nil
}

// cleanEnv is this process's environment without the lab's settings, so
// that what a learner has set in the shell cannot change an experiment.
func cleanEnv() []string {
	lab := map[string]bool{}
	for _, k := range config.Names {
		lab[k] = true
	}
	var out []string
	for _, kv := range os.Environ() {
		if k, _, _ := strings.Cut(kv, "="); !lab[k] {
			out = append(out, kv)
		}
	}
	return out
}

// waitFor waits until a line of the output contains s (or one of more),
// and says whether it came before the process ended or the timeout passed.
func (p *proc) waitFor(ctx context.Context, s string, timeout time.Duration, more ...string) bool {
	deadline := time.After(timeout)
	match := func(line string) bool {
		for _, m := range append(more, s) {
			if strings.Contains(line, m) {
				return true
			}
		}
		return false
	}
	seen := 0
	for {
		p.mu.Lock()
		for ; seen < len(p.lines); seen++ {
			if match(p.lines[seen]) {
				p.mu.Unlock()
				return true
			}
		}
		p.mu.Unlock()
		select {
		case <-p.grew:
		case <-p.done:
			// The last lines may have come with the end.
			p.mu.Lock()
			found := false
			for _, l := range p.lines[seen:] {
				found = found || match(l)
			}
			p.mu.Unlock()
			return found
		case <-deadline:
			return false
		case <-ctx.Done():
			return false
		}
	}
}

// wait waits for the process to end and returns its exit code; past the
// timeout it kills it and returns an error.
func (p *proc) wait(ctx context.Context, timeout time.Duration) (int, error) {
	select {
	case <-p.done:
	case <-time.After(timeout):
		p.kill()
		return -1, fmt.Errorf("%s still running after %s: killed", p.name, timeout)
	case <-ctx.Done():
		p.kill()
		return -1, ctx.Err()
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.code, nil
}

func (p *proc) signal(sig os.Signal) { _ = p.cmd.Process.Signal(sig) }

// kill is SIGKILL, and waits until the process is gone.
func (p *proc) kill() {
	_ = p.cmd.Process.Kill()
	<-p.done
}

func (p *proc) tail(n int) string {
	p.mu.Lock()
	defer p.mu.Unlock()
	from := max(0, len(p.lines)-n)
	return strings.Join(p.lines[from:], "\n")
}

// countAfter counts the lines containing what that came after the first line
// containing from.
func (p *proc) countAfter(from, what string) int {
	p.mu.Lock()
	defer p.mu.Unlock()
	n, counting := 0, false
	for _, line := range p.lines {
		if counting && strings.Contains(line, what) {
			n++
		}
		counting = counting || strings.Contains(line, from)
	}
	return n
}

var partitionName = regexp.MustCompile(`\bp(\d+) from \d+`)

// waitPartitions waits until lines containing s have named n partitions
// ("p0 from 10, p1 from 10").
func (p *proc) waitPartitions(ctx context.Context, s string, n int, timeout time.Duration) error {
	deadline := time.After(timeout)
	for ended := false; ; {
		seen := map[string]bool{}
		p.mu.Lock()
		for _, line := range p.lines {
			if strings.Contains(line, s) {
				for _, m := range partitionName.FindAllStringSubmatch(line, -1) {
					seen[m[1]] = true
				}
			}
		}
		p.mu.Unlock()
		switch {
		case len(seen) >= n:
			return nil
		case ended:
			return fmt.Errorf("%s ended having named %d of %d partitions in %q lines: %s", p.name, len(seen), n, s, p.tail(3))
		}
		select {
		case <-p.grew:
		case <-p.done:
			ended = true // every line is in: one last look
		case <-deadline:
			return fmt.Errorf("%s named %d of %d partitions in %q lines within %s: %s", p.name, len(seen), n, s, timeout, p.tail(3))
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}
