// Package instance keeps one process per static member id on this machine.
//
// The consumers join as static members (kgo.InstanceID) so that a restart
// right after a crash gets its partitions back at once instead of waiting out
// the session timeout. The price: two live processes with the same instance id
// both consume the same partitions until the broker fences the older one, a
// few seconds later, after both processed the same records. So a second copy
// with the same INSTANCE is refused before it joins, with an flock(2) on a
// file that the kernel releases when the holder exits, however it exits
// (os.Exit, SIGKILL): a crashed copy never leaves a stale lock behind.
package instance

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
)

// ID is the static member id of copy n of group.
func ID(group string, n int) string { return fmt.Sprintf("%s-%d", group, n) }

// Lock is held for the life of the process.
type Lock struct{ f *os.File }

var unsafe = regexp.MustCompile(`[^a-zA-Z0-9._-]+`)

// Path is where the lock for this member id on these brokers lives.
func Path(brokers []string, id string) string {
	name := unsafe.ReplaceAllString(strings.Join(brokers, "_")+"__"+id, "_")
	return filepath.Join(os.TempDir(), "offsets-lab-locks", name+".lock")
}

// Acquire takes the lock or explains who holds it.
func Acquire(brokers []string, group string, n int) (*Lock, error) {
	id := ID(group, n)
	path := Path(brokers, id)
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return nil, fmt.Errorf("instance lock: %w", err)
	}
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, fmt.Errorf("instance lock: %w", err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		holder := "another process"
		if b, rerr := os.ReadFile(path); rerr == nil {
			if pid, perr := strconv.Atoi(strings.TrimSpace(string(b))); perr == nil {
				holder = fmt.Sprintf("process %d", pid)
			}
		}
		f.Close()
		return nil, fmt.Errorf("INSTANCE=%d of group %s is already running on this machine (%s holds %s); "+
			"two processes with one static member id would process the same records: start this copy with another INSTANCE, e.g. INSTANCE=%d",
			n, group, holder, path, n+1)
	}
	_ = f.Truncate(0)
	_, _ = f.WriteAt([]byte(strconv.Itoa(os.Getpid())+"\n"), 0)
	return &Lock{f: f}, nil
}

// Release lets the next copy in (the kernel also does it at exit).
func (l *Lock) Release() {
	if l != nil && l.f != nil {
		l.f.Close()
	}
}
