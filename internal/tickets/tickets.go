// Package tickets is the kitchen's database. Preparing an order has one
// lasting effect: a row in the tickets table. The lab keeps that effect from
// happening twice in two ways, both of which need the effect and its guard in
// one database transaction:
//
//   - PrepareOnce (the idempotent consumer): the transaction also claims the
//     order's idempotency key in a table whose key is unique; a delivery
//     whose key is taken writes nothing.
//   - PrepareAt (the db-offsets consumer): the transaction also moves the
//     partition's next offset, stored beside the tickets; the consumer
//     resumes from there (Offsets), not from Kafka's committed offsets.
//
// tickets itself has no unique constraint on the order: a duplicate effect
// stays possible in principle, so counting rows per order tells the truth
// about the mechanism.
//
// The same SQL runs on SQLite (modernc.org/sqlite, pure Go: nothing to
// install) and PostgreSQL (pgx), through database/sql.
package tickets

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/twmb/franz-go/pkg/kgo"

	_ "github.com/jackc/pgx/v5/stdlib" // database/sql driver "pgx"
	_ "modernc.org/sqlite"             // database/sql driver "sqlite"

	"offsetlab/internal/config"
)

// ReachTimeout bounds every conversation with the database: opening it, and
// each transaction. A database that does not answer in this time is treated
// as gone.
const ReachTimeout = 5 * time.Second

// Ticket is one prepared order: the effect.
type Ticket struct {
	OrderKey   string
	Topic      string
	Partition  int32
	Offset     int64
	Group      string // the consumer group that prepared it
	Strategy   string // idempotent or db-offsets
	Instance   int    // which copy of it (INSTANCE)
	PreparedAt time.Time
}

// FromRecord is the ticket for preparing the order r carries, now.
func FromRecord(r *kgo.Record, group, strategy string, instance int) Ticket {
	return Ticket{OrderKey: string(r.Key), Topic: r.Topic, Partition: r.Partition, Offset: r.Offset,
		Group: group, Strategy: strategy, Instance: instance, PreparedAt: time.Now().UTC()}
}

// schema is created if missing; "offset" is quoted because OFFSET is an SQL
// keyword (partition is one only in some positions, which both databases
// allow as a column name).
var schema = []string{
	`CREATE TABLE IF NOT EXISTS tickets (
		order_key      TEXT NOT NULL,
		topic          TEXT NOT NULL,
		partition      INTEGER NOT NULL,
		"offset"       BIGINT NOT NULL,
		consumer_group TEXT NOT NULL,
		strategy       TEXT NOT NULL,
		instance       INTEGER NOT NULL,
		prepared_at    TIMESTAMP NOT NULL
	)`,
	// For counting; deliberately not UNIQUE (see the package comment).
	`CREATE INDEX IF NOT EXISTS tickets_by_order ON tickets (consumer_group, topic, order_key)`,
	// The idempotent consumer's guard: one row per key it has applied.
	`CREATE TABLE IF NOT EXISTS idempotency_keys (
		consumer_group  TEXT NOT NULL,
		idempotency_key TEXT NOT NULL,
		topic           TEXT NOT NULL,
		partition       INTEGER NOT NULL,
		"offset"        BIGINT NOT NULL,
		instance        INTEGER NOT NULL,
		prepared_at     TIMESTAMP NOT NULL,
		PRIMARY KEY (consumer_group, idempotency_key)
	)`,
	// The db-offsets consumer's guard and bookmark: Kafka's committed offset,
	// kept here instead.
	`CREATE TABLE IF NOT EXISTS consumer_offsets (
		consumer_group TEXT NOT NULL,
		topic          TEXT NOT NULL,
		partition      INTEGER NOT NULL,
		next_offset    BIGINT NOT NULL,
		updated_at     TIMESTAMP NOT NULL,
		PRIMARY KEY (consumer_group, topic, partition)
	)`,
}

// Store is an open kitchen database.
type Store struct {
	db     *sql.DB
	where  string // DATABASE_URL without its password
	secret string // the password, scrubbed from any error that might quote it
}

// Open connects to the database, within ReachTimeout, and creates the tables
// if they are missing.
func Open(ctx context.Context, d config.Database) (*Store, error) {
	s := &Store{where: d.Redacted()}
	var err error
	switch d.Kind {
	case "sqlite":
		if err := os.MkdirAll(filepath.Dir(d.Path), 0o755); err != nil {
			return nil, s.fail("cannot create the folder for the SQLite file", err)
		}
		// WAL: readers (the count) do not block the consumer. FULL: a
		// committed transaction is on disk, not only in the OS's cache.
		// busy_timeout: a second process (a second copy, the count) waits
		// for the write lock instead of failing at once. _txlock=immediate:
		// each transaction takes the write lock when it begins, so two
		// processes never both read and then fight to write.
		dsn := "file:" + d.Path + "?_pragma=busy_timeout(5000)&_pragma=journal_mode(WAL)&_pragma=synchronous(FULL)&_txlock=immediate"
		s.db, err = sql.Open("sqlite", dsn)
		if err == nil {
			s.db.SetMaxOpenConns(1) // one writer per process; SQLite serialises writers anyway
		}
	case "postgres":
		if u, perr := url.Parse(d.URL); perr == nil {
			s.secret, _ = u.User.Password()
			if p := u.Query().Get("password"); p != "" {
				s.secret = p
			}
		}
		s.db, err = sql.Open("pgx", d.URL)
		if err == nil {
			s.db.SetMaxOpenConns(4)
		}
	default:
		return nil, fmt.Errorf("DATABASE_URL: unknown kind %q", d.Kind)
	}
	if err != nil {
		return nil, s.fail("cannot open", err)
	}
	ctx, cancel := context.WithTimeout(ctx, ReachTimeout)
	defer cancel()
	if err := s.db.PingContext(ctx); err != nil {
		s.db.Close()
		var pgErr *pgconn.PgError
		switch {
		case errors.As(err, &pgErr) && strings.HasPrefix(pgErr.Code, "28"):
			// Class 28: invalid authorization. The server is there.
			return nil, s.fail("the database refused the login (check the user and password in DATABASE_URL)", err)
		case errors.As(err, &pgErr) && pgErr.Code == "3D000":
			return nil, s.fail("the server has no such database", err)
		case d.Kind == "postgres":
			return nil, s.failed(ErrNoDatabase, "no database answers", err)
		}
		return nil, s.fail("cannot open the SQLite file", err)
	}
	for _, stmt := range schema {
		if _, err := s.db.ExecContext(ctx, stmt); err != nil {
			s.db.Close()
			return nil, s.fail("cannot create the tables", err)
		}
	}
	return s, nil
}

// Where is DATABASE_URL without its password.
func (s *Store) Where() string { return s.where }

// Close closes the connections.
func (s *Store) Close() error { return s.db.Close() }

// fail wraps err for a message: which setting, what went wrong, and the
// driver's words with any password taken out.
func (s *Store) fail(what string, err error) error { return s.failed(nil, what, err) }

// failed is fail for an error that is also kind (errors.Is).
func (s *Store) failed(kind error, what string, err error) error {
	if errors.Is(err, context.DeadlineExceeded) {
		what += fmt.Sprintf(" (no answer within %s: a server that does not answer, or a SQLite file another process keeps locked)", ReachTimeout)
	}
	return &dbError{msg: fmt.Sprintf("DATABASE_URL=%s: %s: %s", s.where, what, s.scrub(err.Error())), err: err, kind: kind}
}

func (s *Store) scrub(msg string) string {
	if s.secret == "" {
		return msg
	}
	return strings.ReplaceAll(msg, s.secret, "xxxxx")
}

// dbError keeps the driver's error for errors.Is while its message is scrubbed.
type dbError struct {
	msg  string
	err  error
	kind error // ErrNoDatabase, or nil
}

func (e *dbError) Error() string { return e.msg }
func (e *dbError) Unwrap() error { return e.err }

func (e *dbError) Is(target error) bool { return e.kind != nil && target == e.kind }

// ErrNoDatabase means no database server answered at DATABASE_URL.
var ErrNoDatabase = errors.New("no database answers")

// PrepareOnce writes t's ticket unless the group has applied key before. The
// key and the ticket go in one transaction: either both are stored or
// neither, so a crash can never leave a ticket without its key (a duplicate
// next time) or a key without its ticket (a missing order). It returns false
// and the first delivery's ticket when the key was taken.
//
// Two copies racing for one key are settled by the primary key: the second
// INSERT waits for the first transaction and then finds the key taken.
func (s *Store) PrepareOnce(ctx context.Context, key string, t Ticket) (bool, Ticket, error) {
	var first Ticket
	prepared, err := s.inTx(ctx, "prepare "+t.OrderKey, func(ctx context.Context, tx *sql.Tx) (bool, error) {
		res, err := tx.ExecContext(ctx, `INSERT INTO idempotency_keys
			(consumer_group, idempotency_key, topic, partition, "offset", instance, prepared_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7)
			ON CONFLICT (consumer_group, idempotency_key) DO NOTHING`,
			t.Group, key, t.Topic, t.Partition, t.Offset, t.Instance, t.PreparedAt)
		if err != nil {
			return false, err
		}
		if n, err := res.RowsAffected(); err != nil {
			return false, err
		} else if n == 0 {
			first = Ticket{OrderKey: t.OrderKey, Group: t.Group, Strategy: t.Strategy}
			return false, tx.QueryRowContext(ctx, `SELECT topic, partition, "offset", instance, prepared_at
				FROM idempotency_keys WHERE consumer_group = $1 AND idempotency_key = $2`, t.Group, key).
				Scan(&first.Topic, &first.Partition, &first.Offset, &first.Instance, &first.PreparedAt)
		}
		return true, insertTicket(ctx, tx, t)
	})
	return prepared, first, err
}

// PrepareAt writes t's ticket and moves the partition's stored next offset to
// t.Offset+1, in one transaction. The offset only moves forward: when the
// database already holds a next offset past t.Offset (a delivery the
// database has seen, from a copy that lost the partition meanwhile), it
// writes nothing and returns false with the stored next offset.
func (s *Store) PrepareAt(ctx context.Context, t Ticket) (bool, int64, error) {
	var stored int64
	prepared, err := s.inTx(ctx, "prepare "+t.OrderKey, func(ctx context.Context, tx *sql.Tx) (bool, error) {
		// A conditional upsert, not a read then a write: on PostgreSQL a
		// second copy's upsert of the same row waits for the first
		// transaction and then re-checks the WHERE against its result.
		res, err := tx.ExecContext(ctx, `INSERT INTO consumer_offsets
			(consumer_group, topic, partition, next_offset, updated_at)
			VALUES ($1, $2, $3, $4, $5)
			ON CONFLICT (consumer_group, topic, partition)
			DO UPDATE SET next_offset = excluded.next_offset, updated_at = excluded.updated_at
			WHERE consumer_offsets.next_offset <= $6`,
			t.Group, t.Topic, t.Partition, t.Offset+1, t.PreparedAt, t.Offset)
		if err != nil {
			return false, err
		}
		if n, err := res.RowsAffected(); err != nil {
			return false, err
		} else if n == 0 {
			return false, tx.QueryRowContext(ctx, `SELECT next_offset FROM consumer_offsets
				WHERE consumer_group = $1 AND topic = $2 AND partition = $3`, t.Group, t.Topic, t.Partition).Scan(&stored)
		}
		return true, insertTicket(ctx, tx, t)
	})
	return prepared, stored, err
}

func insertTicket(ctx context.Context, tx *sql.Tx, t Ticket) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO tickets
		(order_key, topic, partition, "offset", consumer_group, strategy, instance, prepared_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
		t.OrderKey, t.Topic, t.Partition, t.Offset, t.Group, t.Strategy, t.Instance, t.PreparedAt)
	return err
}

// inTx runs fn in a transaction that commits only if fn wrote something
// (true) and returned no error.
func (s *Store) inTx(ctx context.Context, what string, fn func(context.Context, *sql.Tx) (bool, error)) (bool, error) {
	ctx, cancel := context.WithTimeout(ctx, ReachTimeout)
	defer cancel()
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return false, s.fail(what, err)
	}
	wrote, err := fn(ctx, tx)
	if err != nil || !wrote {
		tx.Rollback()
		if err != nil {
			return false, s.fail(what, err)
		}
		return false, nil
	}
	if err := tx.Commit(); err != nil {
		return false, s.fail(what+": commit", err)
	}
	return true, nil
}

// Offsets is the next offset stored per partition for group on topic.
func (s *Store) Offsets(ctx context.Context, group, topic string) (map[int32]int64, error) {
	ctx, cancel := context.WithTimeout(ctx, ReachTimeout)
	defer cancel()
	rows, err := s.db.QueryContext(ctx, `SELECT partition, next_offset FROM consumer_offsets
		WHERE consumer_group = $1 AND topic = $2`, group, topic)
	if err != nil {
		return nil, s.fail("read the stored offsets", err)
	}
	defer rows.Close()
	out := map[int32]int64{}
	for rows.Next() {
		var p int32
		var next int64
		if err := rows.Scan(&p, &next); err != nil {
			return nil, s.fail("read the stored offsets", err)
		}
		out[p] = next
	}
	if err := rows.Err(); err != nil {
		return nil, s.fail("read the stored offsets", err)
	}
	return out, nil
}

// Tickets is every ticket group prepared from topic, in the order they were
// written.
func (s *Store) Tickets(ctx context.Context, group, topic string) ([]Ticket, error) {
	ctx, cancel := context.WithTimeout(ctx, ReachTimeout)
	defer cancel()
	rows, err := s.db.QueryContext(ctx, `SELECT order_key, partition, "offset", strategy, instance, prepared_at
		FROM tickets WHERE consumer_group = $1 AND topic = $2 ORDER BY prepared_at`, group, topic)
	if err != nil {
		return nil, s.fail("read the tickets", err)
	}
	defer rows.Close()
	var out []Ticket
	for rows.Next() {
		t := Ticket{Group: group, Topic: topic}
		if err := rows.Scan(&t.OrderKey, &t.Partition, &t.Offset, &t.Strategy, &t.Instance, &t.PreparedAt); err != nil {
			return nil, s.fail("read the tickets", err)
		}
		out = append(out, t)
	}
	if err := rows.Err(); err != nil {
		return nil, s.fail("read the tickets", err)
	}
	return out, nil
}

// Clear forgets everything group did on topic: its tickets, idempotency keys
// and stored offsets. It returns how many tickets went.
func (s *Store) Clear(ctx context.Context, group, topic string) (int64, error) {
	var n int64
	_, err := s.inTx(ctx, "clear "+group, func(ctx context.Context, tx *sql.Tx) (bool, error) {
		res, err := tx.ExecContext(ctx, `DELETE FROM tickets WHERE consumer_group = $1 AND topic = $2`, group, topic)
		if err != nil {
			return false, err
		}
		n, _ = res.RowsAffected()
		if _, err := tx.ExecContext(ctx, `DELETE FROM idempotency_keys WHERE consumer_group = $1 AND topic = $2`, group, topic); err != nil {
			return false, err
		}
		_, err = tx.ExecContext(ctx, `DELETE FROM consumer_offsets WHERE consumer_group = $1 AND topic = $2`, group, topic)
		return true, err
	})
	return n, err
}
