package tickets

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"offsetlab/internal/config"
)

// databases is where each test runs: a SQLite file always, and the
// PostgreSQL of LAB_TEST_DATABASE_URL when given (CI starts one with `make
// postgres-up` and sets LAB_TEST_POSTGRES=1, so that a missing one fails).
func databases(t testing.TB) map[string]config.Database {
	t.Helper()
	dbs := map[string]config.Database{}
	d, err := config.ParseDatabase("sqlite:" + filepath.Join(t.TempDir(), "kitchen.db"))
	if err != nil {
		t.Fatal(err)
	}
	dbs["sqlite"] = d
	if u := os.Getenv("LAB_TEST_DATABASE_URL"); u != "" {
		if dbs["postgres"], err = config.ParseDatabase(u); err != nil {
			t.Fatalf("LAB_TEST_DATABASE_URL: %v", err)
		}
	} else if os.Getenv("LAB_TEST_POSTGRES") == "1" {
		t.Fatal("LAB_TEST_POSTGRES=1 but LAB_TEST_DATABASE_URL is not set: start one with `make postgres-up`")
	}
	return dbs
}

func open(t testing.TB, d config.Database) *Store {
	t.Helper()
	s, err := Open(context.Background(), d)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// Each test has its own group, so that tests can share one PostgreSQL.
func group(t testing.TB) string {
	return fmt.Sprintf("g-%s-%d-%d", t.Name(), os.Getpid(), time.Now().UnixNano())
}

func ticket(g string, p int32, o int64, key string) Ticket {
	return Ticket{OrderKey: key, Topic: "orders", Partition: p, Offset: o, Group: g, Strategy: "test", Instance: 1, PreparedAt: time.Now().UTC()}
}

func TestPrepareOnceWritesOneTicketPerKey(t *testing.T) {
	for name, d := range databases(t) {
		t.Run(name, func(t *testing.T) {
			s, g, ctx := open(t, d), group(t), context.Background()
			done, _, err := s.PrepareOnce(ctx, "order-0007/order-placed", ticket(g, 1, 2, "order-0007"))
			if err != nil || !done {
				t.Fatalf("first delivery: done=%v err=%v", done, err)
			}
			done, first, err := s.PrepareOnce(ctx, "order-0007/order-placed", ticket(g, 1, 2, "order-0007"))
			if err != nil || done || first.Partition != 1 || first.Offset != 2 || first.Instance != 1 {
				t.Fatalf("second delivery: done=%v first=%+v err=%v", done, first, err)
			}
			// Another event of the same order is another effect.
			if done, _, err := s.PrepareOnce(ctx, "order-0007/order-cancelled", ticket(g, 1, 9, "order-0007")); err != nil || !done {
				t.Fatalf("other event: done=%v err=%v", done, err)
			}
			ts, err := s.Tickets(ctx, g, "orders")
			if err != nil || len(ts) != 2 {
				t.Fatalf("tickets %+v, %v", ts, err)
			}
		})
	}
}

func TestPrepareAtMovesTheOffsetOnlyForward(t *testing.T) {
	for name, d := range databases(t) {
		t.Run(name, func(t *testing.T) {
			s, g, ctx := open(t, d), group(t), context.Background()
			for _, step := range []struct {
				offset int64
				done   bool
				stored int64
			}{
				{offset: 0, done: true},
				{offset: 1, done: true},
				{offset: 1, done: false, stored: 2}, // delivered again: already in
				{offset: 0, done: false, stored: 2},
				{offset: 5, done: true}, // a gap (a reset, a compacted log) is fine
			} {
				done, stored, err := s.PrepareAt(ctx, ticket(g, 0, step.offset, fmt.Sprintf("order-%d", step.offset)))
				if err != nil || done != step.done || stored != step.stored {
					t.Fatalf("offset %d: done=%v stored=%d err=%v, want %v %d", step.offset, done, stored, err, step.done, step.stored)
				}
			}
			offsets, err := s.Offsets(ctx, g, "orders")
			if err != nil || len(offsets) != 1 || offsets[0] != 6 {
				t.Fatalf("offsets %v, %v", offsets, err)
			}
			ts, _ := s.Tickets(ctx, g, "orders")
			if len(ts) != 3 {
				t.Fatalf("want 3 tickets, got %+v", ts)
			}
			if n, err := s.Clear(ctx, g, "orders"); err != nil || n != 3 {
				t.Fatalf("clear: %d, %v", n, err)
			}
			if offsets, _ := s.Offsets(ctx, g, "orders"); len(offsets) != 0 {
				t.Fatalf("offsets after clear %v", offsets)
			}
		})
	}
}

// Two stores (as two consumer processes would have) racing for the same
// records: the guard in each transaction lets exactly one of them write.
func TestRacingCopiesWriteEachTicketOnce(t *testing.T) {
	for name, d := range databases(t) {
		t.Run(name, func(t *testing.T) {
			a, b, g, ctx := open(t, d), open(t, d), group(t), context.Background()
			const n = 40
			var wg sync.WaitGroup
			errs := make(chan error, 4*n)
			for _, s := range []*Store{a, b} {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for i := range n {
						key := fmt.Sprintf("order-%04d", i)
						if _, _, err := s.PrepareOnce(ctx, key, ticket(g+"-keys", 0, int64(i), key)); err != nil {
							errs <- err
						}
						if _, _, err := s.PrepareAt(ctx, ticket(g+"-offsets", 0, int64(i), key)); err != nil {
							errs <- err
						}
					}
				}()
			}
			wg.Wait()
			close(errs)
			for err := range errs {
				t.Error(err)
			}
			for _, grp := range []string{g + "-keys", g + "-offsets"} {
				ts, err := a.Tickets(ctx, grp, "orders")
				if err != nil || len(ts) != n {
					t.Errorf("%s: want %d tickets, got %d (%v)", grp, n, len(ts), err)
				}
			}
		})
	}
}

// An unreachable or unwritable database is refused within ReachTimeout, in
// words that name the setting and never the password.
func TestOpenRefusesClearly(t *testing.T) {
	for _, tc := range []struct{ url, want string }{
		{"postgres://lab:s3cret@127.0.0.1:1/kitchen", "no database answers"},
		{"sqlite:/proc/no-such-folder/kitchen.db", "cannot create the folder"},
	} {
		d, err := config.ParseDatabase(tc.url)
		if err != nil {
			t.Fatal(err)
		}
		start := time.Now()
		_, err = Open(context.Background(), d)
		if err == nil || !strings.Contains(err.Error(), "DATABASE_URL=") || !strings.Contains(err.Error(), tc.want) || strings.Contains(err.Error(), "s3cret") {
			t.Errorf("%s: got %v", tc.url, err)
		}
		if time.Since(start) > ReachTimeout+time.Second {
			t.Errorf("%s: took %s", tc.url, time.Since(start))
		}
	}
}

// BenchmarkEffect is what making the effect happen once costs per record, on
// each database: the ticket alone in a transaction (no guard: what a plain
// at-least-once consumer writing to a database pays), with its idempotency
// key (a new key, and a repeated delivery that finds it), and with the
// partition's next offset. Compare within one run (make bench).
func BenchmarkEffect(b *testing.B) {
	for name, d := range databases(b) {
		s := open(b, d)
		ctx := context.Background()
		for _, c := range []struct {
			name string
			one  func(g string, i int) error
		}{
			{"ticket-only", func(g string, i int) error {
				_, err := s.inTx(ctx, "bench", func(ctx context.Context, tx *sql.Tx) (bool, error) {
					return true, insertTicket(ctx, tx, ticket(g, 0, int64(i), fmt.Sprintf("order-%d", i)))
				})
				return err
			}},
			{"idempotent-new-key", func(g string, i int) error {
				key := fmt.Sprintf("order-%d", i)
				_, _, err := s.PrepareOnce(ctx, key, ticket(g, 0, int64(i), key))
				return err
			}},
			{"idempotent-repeat-skipped", func(g string, i int) error {
				// Every delivery of the same key: the first writes, the rest are skipped.
				_, _, err := s.PrepareOnce(ctx, "order-0", ticket(g, 0, 0, "order-0"))
				return err
			}},
			{"db-offsets", func(g string, i int) error {
				_, _, err := s.PrepareAt(ctx, ticket(g, 0, int64(i), fmt.Sprintf("order-%d", i)))
				return err
			}},
		} {
			b.Run(name+"/"+c.name, func(b *testing.B) {
				g := group(b)
				for i := 0; b.Loop(); i++ {
					if err := c.one(g, i); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}
