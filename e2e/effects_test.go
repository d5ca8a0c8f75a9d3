package e2e

import (
	"context"
	"database/sql"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	_ "modernc.org/sqlite"
)

// effectDB is a database the effect consumers are tested on: a SQLite file
// in the test's folder always, and the PostgreSQL of LAB_TEST_DATABASE_URL
// (CI starts it with `make postgres-up` and sets LAB_TEST_POSTGRES=1, which
// turns a missing one into a failure, not a skip).
type effectDB struct {
	name string
	url  func(l *lab) string
}

func effectDBs(t *testing.T) []effectDB {
	t.Helper()
	dbs := []effectDB{{"sqlite", func(l *lab) string { return "sqlite:" + l.path("kitchen.db") }}}
	if u := os.Getenv("LAB_TEST_DATABASE_URL"); u != "" {
		dbs = append(dbs, effectDB{"postgres", func(*lab) string { return u }})
	} else if os.Getenv("LAB_TEST_POSTGRES") == "1" {
		t.Fatal("LAB_TEST_POSTGRES=1 but LAB_TEST_DATABASE_URL is not set: `make postgres-up` prints one")
	}
	return dbs
}

var effectConsumers = []string{"idempotent", "db-offsets"}

// effects is the first line of `admin count-effects`, and the processed
// log's count under it.
type effects struct {
	effects, unique, duplicates, missing int
	log                                  counted
	out                                  string
}

var effectsLine = regexp.MustCompile(`^tickets \(([^)]*)\): effects=(\d+) unique-orders=(\d+) duplicate-effects=(\d+) missing=(\d+)$`)

func (l *lab) countEffects(database, log string) effects {
	l.t.Helper()
	out := l.admin("count-effects", "DATABASE_URL="+database, "LOG="+log).output()
	first, rest, _ := strings.Cut(out, "\n")
	m := effectsLine.FindStringSubmatch(first)
	if m == nil {
		l.t.Fatalf("count-effects' first line %q is not the effects headline:\n%s", first, out)
	}
	e := effects{out: out, log: parseCount(l.t, rest)}
	e.effects, _ = strconv.Atoi(m[2])
	e.unique, _ = strconv.Atoi(m[3])
	e.duplicates, _ = strconv.Atoi(m[4])
	e.missing, _ = strconv.Atoi(m[5])
	return e
}

// The lesson's crash recipe (30 orders, batches of 5, a crash after 10, a run
// to the end): deliveries repeat for idempotent (manual-sync's commits) and
// not for db-offsets, and on both every order has exactly one ticket.
func TestEffectsCrashRecipe(t *testing.T) {
	t.Parallel()
	for _, db := range effectDBs(t) {
		for _, bin := range effectConsumers {
			t.Run(db.name+"/"+bin, func(t *testing.T) {
				t.Parallel()
				l := newLab(t)
				l.seed(30)
				log, url := l.path("p.log"), db.url(l)
				kv := []string{"LOG=" + log, "DATABASE_URL=" + url, "WORK_DELAY=50ms", "MAX_POLL_RECORDS=5"}
				l.run(1, bin, append(kv, "CRASH=10")...)
				again := l.run(0, bin, append(kv, "IDLE_EXIT=1s")...)
				e := l.countEffects(url, log)
				if e.effects != 30 || e.unique != 30 || e.duplicates != 0 || e.missing != 0 {
					t.Errorf("want 30 tickets, one per order:\n%s", e.out)
				}
				// Batches of 5 come from one partition each: the crash after 10
				// falls after the first batch's commit and before the second's.
				wantRepeats := map[string]int{"idempotent": 5, "db-offsets": 0}[bin]
				if e.log.total != 30+wantRepeats || e.log.duplicates != wantRepeats || e.log.lost != 0 {
					t.Errorf("want %d deliveries repeated:\n%s", wantRepeats, e.out)
				}
				if n := again.countLines(": skipped"); n != map[string]int{"idempotent": 5, "db-offsets": 0}[bin] {
					t.Errorf("%d skipped effects said, want %d:\n%s", n, wantRepeats, again.output())
				}
				if bin == "idempotent" && again.countLines("already prepared order-") != 5 {
					t.Errorf("the repeats do not say `already prepared order-NNNN: skipped`:\n%s", again.output())
				}
				if bin == "db-offsets" && !strings.Contains(again.output(), "resuming p0 at 10") {
					// The crash came after p0@9's ticket, before the batch's copy went to Kafka.
					t.Errorf("the restart does not say it resumes p0 at 10, from the database:\n%s", again.output())
				}
				// Kafka's committed offsets (for db-offsets a copy) end at the log end.
				if c := l.committed(); sum(c) != 30 {
					t.Errorf("committed %v at the end", c)
				}
			})
		}
	}
}

// A copy SIGKILLed 20 times at random moments, then a run to the end:
// exactly one ticket per order on every database, though deliveries repeat.
// db-offsets repeats at most the record in hand per kill. (Copies racing for
// one record are the unit tests' job, TestRacingCopiesWriteEachTicketOnce:
// two killed static members make the group wait out their sessions, which
// tests the group, not the guard.)
func TestEffectsSurviveSIGKILLs(t *testing.T) {
	t.Parallel()
	for _, db := range effectDBs(t) {
		for _, bin := range effectConsumers {
			t.Run(db.name+"/"+bin, func(t *testing.T) {
				t.Parallel()
				l := newLab(t)
				const orders = 200
				l.seed(orders)
				url, log := db.url(l), l.path("p.log")
				kv := []string{"LOG=" + log, "DATABASE_URL=" + url}
				const kills = 20
				midWork, before := l.killRepeatedly(bin, log, kills, orders, append(kv, "WORK_DELAY=50ms")...)
				l.run(0, bin, append(kv, "IDLE_EXIT=1s", "WORK_DELAY=1ms")...)
				e := l.countEffects(url, log)
				if e.effects != orders || e.unique != orders || e.duplicates != 0 || e.missing != 0 {
					t.Errorf("after %d SIGKILLs, want one ticket per order:\n%s", kills, e.out)
				}
				if e.log.lost != 0 {
					t.Errorf("an order was never delivered:\n%s", e.out)
				}
				if bin == "db-offsets" && e.log.duplicates > kills {
					t.Errorf("db-offsets repeated %d deliveries in %d kills; at most the record in hand per kill", e.log.duplicates, kills)
				}
				t.Logf("%s on %s: %d SIGKILLs (%d mid-work), %d deliveries during them, %d in all (%d repeated), %d tickets", bin, db.name, kills, midWork, before, e.log.total, e.log.duplicates, e.effects)
			})
		}
	}
}

// A database that is not there refuses the start within seconds, names
// DATABASE_URL, never prints the password, and nothing is read, logged or
// committed.
func TestEffectsRefuseABadDatabase(t *testing.T) {
	t.Parallel()
	silent := silentListener(t) // accepts, never answers
	notADir := filepath.Join(t.TempDir(), "file")
	os.WriteFile(notADir, []byte("x"), 0o644)
	cases := []struct{ name, url, want string }{
		{"unreachable", "postgres://lab:s3cret-pw@127.0.0.1:" + strconv.Itoa(freePort()) + "/kitchen", "no database answers"},
		{"silent", "postgres://lab:s3cret-pw@" + silent + "/kitchen", "no answer within 5s"},
		{"unwritable sqlite", "sqlite:" + filepath.Join(notADir, "kitchen.db"), "cannot create the folder"},
		{"not a url", "mysql://lab:s3cret-pw@127.0.0.1/kitchen", "DATABASE_URL (-database-url)"},
		{"unparsable", "postgres://lab:s3cret-pw@[::1/kitchen", "not a valid URL"},
	}
	if u := os.Getenv("LAB_TEST_DATABASE_URL"); u != "" {
		// The real server, the wrong password.
		cases = append(cases, struct{ name, url, want string }{"wrong password",
			regexp.MustCompile(`://([^:@/]+):[^@]*@`).ReplaceAllString(u, "://$1:s3cret-pw@"), "the database refused the login"})
	}
	for _, tc := range cases {
		for _, bin := range effectConsumers {
			t.Run(tc.name+"/"+bin, func(t *testing.T) {
				t.Parallel()
				l := newLab(t)
				l.seed(10)
				start := time.Now()
				p := l.start(bin, "LOG="+l.path("p.log"), "EVENTS="+l.path("e.jsonl"), "DATABASE_URL="+tc.url)
				code := p.wait(30 * time.Second)
				out := p.output()
				if code != 2 || time.Since(start) > 8*time.Second {
					t.Errorf("exit %d after %s, want 2 within seconds", code, time.Since(start))
				}
				if !strings.Contains(out, tc.want) || !strings.Contains(out, "DATABASE_URL") || strings.Contains(out, "s3cret-pw") {
					t.Errorf("want one message with %q naming DATABASE_URL and no password:\n%s", tc.want, out)
				}
				for _, f := range []string{"p.log", "e.jsonl"} {
					if _, err := os.Stat(l.path(f)); err == nil {
						t.Errorf("a refused start wrote %s", f)
					}
				}
				if c := l.committed(); len(c) != 0 {
					t.Errorf("a refused start committed %v", c)
				}
			})
		}
	}
	// The count says the same.
	l := newLab(t)
	p := l.runArgs(2, "admin", []string{"count-effects"}, "DATABASE_URL="+cases[0].url)
	if !strings.Contains(p.output(), "DATABASE_URL=postgres://lab:xxxxx@") || strings.Contains(p.output(), "s3cret-pw") {
		t.Errorf("count-effects on an unreachable database:\n%s", p.output())
	}
}

// The SQLite file is locked by another process mid-run (what "the database
// is gone" looks like to SQLite): the consumer cannot store the next effect,
// stops with exit 4 and commits nothing whose ticket is not in the database;
// once the lock is gone, a restart finishes with one ticket per order.
func TestEffectsStopWhenSQLiteIsLockedMidRun(t *testing.T) {
	t.Parallel()
	for _, bin := range effectConsumers {
		t.Run(bin, func(t *testing.T) {
			t.Parallel()
			l := newLab(t)
			l.seed(30)
			file := l.path("kitchen.db")
			url, log := "sqlite:"+file, l.path("p.log")
			kv := []string{"LOG=" + log, "DATABASE_URL=" + url, "WORK_DELAY=50ms"}
			p := l.start(bin, kv...)
			p.waitFor("[8 this run]", 30*time.Second)
			unlock := lockSQLite(t, file)
			code := p.wait(30 * time.Second)
			out := p.output()
			if code != 4 || !strings.Contains(out, "was not stored") || !strings.Contains(out, "stay uncommitted") {
				t.Fatalf("exit %d, want 4 and a message that the effect was not stored:\n%s", code, out)
			}
			unlock()
			checkCommittedHaveTickets(t, l, url)
			l.run(0, bin, append(kv, "IDLE_EXIT=1s")...)
			if e := l.countEffects(url, log); e.effects != 30 || e.duplicates != 0 || e.missing != 0 {
				t.Errorf("after the lock and a restart:\n%s", e.out)
			}
		})
	}
}

// lockSQLite takes the file's write lock, as another process would, until
// the returned func is called.
func lockSQLite(t *testing.T, file string) func() {
	t.Helper()
	db, err := sql.Open("sqlite", "file:"+file+"?_pragma=busy_timeout(5000)")
	if err != nil {
		t.Fatal(err)
	}
	db.SetMaxOpenConns(1)
	conn, err := db.Conn(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := conn.ExecContext(context.Background(), "BEGIN EXCLUSIVE"); err != nil {
		t.Fatal(err)
	}
	return func() {
		conn.ExecContext(context.Background(), "ROLLBACK")
		conn.Close()
		db.Close()
	}
}

// checkCommittedHaveTickets: every offset below a committed one has its
// ticket (Kafka never got ahead of the database).
func checkCommittedHaveTickets(t *testing.T, l *lab, url string) {
	t.Helper()
	e := l.countEffects(url, l.path("p.log"))
	if c := l.committed(); sum(c) > int64(e.effects) {
		t.Errorf("Kafka has %v committed (%d records) but the database has %d tickets", c, sum(c), e.effects)
	}
}

// A PostgreSQL of the lab's own (make postgres-up into a private folder) is
// SIGKILLed mid-run: the consumer stops with exit 4 within seconds and
// commits nothing past the database; after make postgres-up brings it back, a
// restart finishes with one ticket per order; make postgres-down removes it.
func TestEffectsStopWhenPostgresIsKilledMidRun(t *testing.T) {
	t.Parallel()
	if _, err := os.Stat("/usr/lib/postgresql"); err != nil && os.Getenv("LAB_TEST_POSTGRES") != "1" {
		t.Skip("PostgreSQL's programs are not installed (apt-get install postgresql); CI sets LAB_TEST_POSTGRES=1 to require them")
	}
	cwd := t.TempDir()
	pgDir := filepath.Join(cwd, "pg")
	port := strconv.Itoa(freePort())
	env := cleanEnv("PG_DIR="+pgDir, "PG_PORT="+port)
	up := makeIn(t, cwd, env, true, "postgres-up")
	url := "postgres://lab:lab-pw@127.0.0.1:" + port + "/kitchen"
	if !strings.Contains(up, "DATABASE_URL="+url) {
		t.Fatalf("postgres-up did not print DATABASE_URL=%s:\n%s", url, up)
	}
	t.Cleanup(func() { makeIn(t, cwd, env, true, "postgres-down") })
	// As root the server runs as the postgres user, which cannot reach a
	// test's temporary folder: postgres-up then keeps the data elsewhere
	// and says where in PG_DIR/datadir.
	data := filepath.Join(pgDir, "data")
	if b, err := os.ReadFile(filepath.Join(pgDir, "datadir")); err == nil {
		data = strings.TrimSpace(string(b))
	}

	for _, bin := range effectConsumers {
		l := newLab(t)
		l.seed(30)
		log := l.path("p.log")
		kv := []string{"LOG=" + log, "DATABASE_URL=" + url, "WORK_DELAY=50ms"}
		p := l.start(bin, kv...)
		p.waitFor("[8 this run]", 30*time.Second)
		pid, err := os.ReadFile(filepath.Join(data, "postmaster.pid"))
		if err != nil {
			t.Fatal(err)
		}
		first, _, _ := strings.Cut(string(pid), "\n")
		n, _ := strconv.Atoi(strings.TrimSpace(first))
		if err := syscall.Kill(n, syscall.SIGKILL); err != nil {
			t.Fatal(err)
		}
		killed := time.Now()
		code := p.wait(30 * time.Second)
		if out := p.output(); code != 4 || !strings.Contains(out, "was not stored") || strings.Contains(out, "lab-pw") {
			t.Fatalf("%s: exit %d %s after PostgreSQL was killed, want 4 and a message without the password:\n%s", bin, code, time.Since(killed), out)
		}
		if time.Since(killed) > 10*time.Second {
			t.Errorf("%s: took %s to stop", bin, time.Since(killed))
		}
		waitGone(t, n)
		makeIn(t, cwd, env, true, "postgres-up")
		checkCommittedHaveTickets(t, l, url)
		l.run(0, bin, append(kv, "IDLE_EXIT=1s")...)
		if e := l.countEffects(url, log); e.effects != 30 || e.duplicates != 0 || e.missing != 0 {
			t.Errorf("%s: after the outage and a restart:\n%s", bin, e.out)
		}
	}
	out := makeIn(t, cwd, env, true, "postgres-down")
	for _, d := range []string{pgDir, filepath.Dir(data)} {
		if _, err := os.Stat(d); err == nil || !strings.Contains(out, "stopped") {
			t.Errorf("postgres-down left %s:\n%s", d, out)
		}
	}
	if err := exec.Command("bash", "-c", "exec 3<>/dev/tcp/127.0.0.1/"+port).Run(); err == nil {
		t.Errorf("something still listens on %s after postgres-down", port)
	}
}

// waitGone waits until PostgreSQL's killed postmaster and its children have
// let go of the data folder (they exit when they see the postmaster gone).
func waitGone(t *testing.T, pid int) {
	t.Helper()
	for range 100 {
		if !alive(pid) {
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("PostgreSQL pid %d still alive after SIGKILL", pid)
}
