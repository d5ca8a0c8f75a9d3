// Package processedlog is the consumers' record of what they processed: one
// line `partition,offset,key,value` per processed record. A share-group
// consumer adds two fields, `,delivery,ack`: the broker's delivery count of
// that record and how the consumer acknowledged it (accept, release,
// reject).
//
// The log is the lab's ground truth, so it must survive the crashes the lab
// causes. Each line goes out in one write(2) on a file opened with O_APPEND:
// the kernel appends it whole, so os.Exit(1) or a SIGKILL can only stop the
// process between two lines, never inside one. The consumer writes a record's
// line before it marks or commits that record's offset, so nothing can be
// committed that the log does not show as processed.
//
// Keys and values are escaped (% , CR LF and other control bytes become %XX),
// so any record stays on one line with exactly four fields.
package processedlog

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"sync"
)

// Entry is one processed record.
type Entry struct {
	Partition int32
	Offset    int64
	Key       string
	Value     string
	// A share group's record only: which delivery of it this was (1 the
	// first time) and how it was acknowledged. Zero and "" otherwise.
	Delivery int32
	Ack      string
}

// Writer appends entries to a processed log.
type Writer struct {
	mu  sync.Mutex // a worker pool's goroutines append side by side
	f   *os.File
	buf []byte
}

// Open opens (creating if needed) the log for appending. It fails at once if
// the file cannot be written, before any record is consumed.
func Open(path string) (*Writer, error) {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
	if err != nil {
		return nil, fmt.Errorf("open processed log: %w", err)
	}
	return &Writer{f: f}, nil
}

// Append writes one entry as one line in a single write.
func (w *Writer) Append(e Entry) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.buf = Format(w.buf[:0], e)
	if _, err := w.f.Write(w.buf); err != nil {
		return fmt.Errorf("append to processed log %s: %w", w.f.Name(), err)
	}
	return nil
}

// Close closes the file.
func (w *Writer) Close() error { return w.f.Close() }

// Format appends e's line, newline included, to dst.
func Format(dst []byte, e Entry) []byte {
	dst = strconv.AppendInt(dst, int64(e.Partition), 10)
	dst = append(dst, ',')
	dst = strconv.AppendInt(dst, e.Offset, 10)
	dst = append(dst, ',')
	dst = escape(dst, e.Key)
	dst = append(dst, ',')
	dst = escape(dst, e.Value)
	if e.Delivery > 0 {
		dst = append(dst, ',')
		dst = strconv.AppendInt(dst, int64(e.Delivery), 10)
		dst = append(dst, ',')
		dst = escape(dst, e.Ack)
	}
	return append(dst, '\n')
}

const hex = "0123456789ABCDEF"

func escape(dst []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c == '%' || c == ',' || c < 0x20 || c == 0x7f {
			dst = append(dst, '%', hex[c>>4], hex[c&0xf])
			continue
		}
		dst = append(dst, c)
	}
	return dst
}

func unescape(s string) (string, error) {
	if !strings.Contains(s, "%") {
		return s, nil
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] != '%' {
			b.WriteByte(s[i])
			continue
		}
		if i+2 >= len(s) {
			return "", fmt.Errorf("cut-off escape in %q", s)
		}
		n, err := strconv.ParseUint(s[i+1:i+3], 16, 8)
		if err != nil {
			return "", fmt.Errorf("bad escape %q", s[i:i+3])
		}
		b.WriteByte(byte(n))
		i += 2
	}
	return b.String(), nil
}

// ParseLine reads one line (without its newline).
func ParseLine(line string) (Entry, error) {
	f := strings.Split(line, ",")
	if len(f) != 4 && len(f) != 6 {
		return Entry{}, fmt.Errorf("want 4 comma-separated fields partition,offset,key,value (6 with a share group's delivery,ack), got %d", len(f))
	}
	p, err := strconv.ParseInt(f[0], 10, 32)
	if err != nil || p < 0 {
		return Entry{}, fmt.Errorf("bad partition %q", f[0])
	}
	o, err := strconv.ParseInt(f[1], 10, 64)
	if err != nil || o < 0 {
		return Entry{}, fmt.Errorf("bad offset %q", f[1])
	}
	k, err := unescape(f[2])
	if err != nil {
		return Entry{}, fmt.Errorf("key: %w", err)
	}
	v, err := unescape(f[3])
	if err != nil {
		return Entry{}, fmt.Errorf("value: %w", err)
	}
	e := Entry{Partition: int32(p), Offset: o, Key: k, Value: v}
	if len(f) == 6 {
		d, err := strconv.ParseInt(f[4], 10, 32)
		if err != nil || d < 1 {
			return Entry{}, fmt.Errorf("bad delivery count %q", f[4])
		}
		if e.Ack, err = unescape(f[5]); err != nil {
			return Entry{}, fmt.Errorf("ack: %w", err)
		}
		e.Delivery = int32(d)
	}
	return e, nil
}

// Read parses a whole log. A malformed line is an error naming its number.
func Read(r io.Reader) ([]Entry, error) {
	var out []Entry
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64*1024), 16*1024*1024)
	for n := 1; sc.Scan(); n++ {
		if sc.Text() == "" {
			continue
		}
		e, err := ParseLine(sc.Text())
		if err != nil {
			return nil, fmt.Errorf("line %d: %w", n, err)
		}
		out = append(out, e)
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	return out, nil
}

// ReadFile parses the log at path.
func ReadFile(path string) ([]Entry, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	es, err := Read(f)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return es, nil
}
