package events

import (
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

// Lines written from many goroutines, and from two writers on one file (two
// copies of a consumer), come back whole and in time order.
func TestConcurrentWritersKeepLinesWhole(t *testing.T) {
	path := filepath.Join(t.TempDir(), "events.jsonl")
	a, err := Open(path, "run-a")
	if err != nil {
		t.Fatal(err)
	}
	b, err := Open(path, "run-b")
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for g := 0; g < 8; g++ {
		w := a
		if g%2 == 1 {
			w = b
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 200; i++ {
				if err := w.Write(Event{Kind: Processed, Partition: P(int32(g)), Offset: O(int64(i)), Detail: strings.Repeat("x", 300)}); err != nil {
					t.Error(err)
				}
			}
		}()
	}
	wg.Wait()
	a.Close()
	b.Close()
	es, err := ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(es) != 1600 {
		t.Fatalf("read %d events, want 1600", len(es))
	}
	runs := map[string]int{}
	for i, e := range es {
		runs[e.Run]++
		if i > 0 && e.Time < es[i-1].Time {
			t.Fatalf("event %d is older than the one before it", i)
		}
		if e.Partition == nil || e.Offset == nil || len(e.Detail) != 300 {
			t.Fatalf("event %d came back incomplete: %+v", i, e)
		}
	}
	if runs["run-a"] != 800 || runs["run-b"] != 800 {
		t.Fatalf("runs %v", runs)
	}
}

func TestReadRefusesTornOrForeignLines(t *testing.T) {
	for _, bad := range []string{`{"t":1,"run":"r","kind":"processed"`, `{"kind":"processed"}`, "partition,offset,key,value"} {
		if _, err := Read(strings.NewReader(`{"t":1,"run":"r","kind":"start"}` + "\n" + bad + "\n")); err == nil || !strings.Contains(err.Error(), "line 2") {
			t.Errorf("%q: got %v, want an error naming line 2", bad, err)
		}
	}
}

func TestCommittedOffsetsRoundTrip(t *testing.T) {
	m := map[int32]int64{0: 10, 2: 7}
	if got := (Event{Offsets: OffsetsOf(m)}).Committed(); len(got) != 2 || got[0] != 10 || got[2] != 7 {
		t.Fatalf("got %v", got)
	}
	if OffsetsOf(nil) != nil {
		t.Fatal("no offsets should be left out of the line")
	}
}

func TestOpenFailsAtOnce(t *testing.T) {
	dir := t.TempDir()
	if _, err := Open(filepath.Join(dir, "missing", "e.jsonl"), "r"); err == nil {
		t.Fatal("opened a file in a folder that does not exist")
	}
}
