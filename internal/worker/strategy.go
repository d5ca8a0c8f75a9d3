package worker

import (
	"context"
	"errors"
	"fmt"

	"github.com/twmb/franz-go/pkg/kgo"

	"offsetlab/internal/config"
)

// Strategy is what one consumer binary decides about offsets.
type Strategy struct {
	// Name is printed on every line, e.g. "manual-sync".
	Name string
	// Opts are the kgo options that set how offsets get committed.
	Opts []kgo.Opt
	// Processed runs after a record's line is in the processed log, e.g. to
	// mark it for committing. Optional.
	Processed func(cl *kgo.Client, r *kgo.Record)
	// Commit runs after every polled batch was processed, and once more on a
	// clean stop. latest is, for each partition this member owns where this
	// run processed past the offset it last saw committed, the last record
	// it processed there: everything this run has not yet committed, not
	// only the batch just done. Its commits are reported with CommitWhy
	// ("batch", "flush") or "shutdown". Optional: without it the code never
	// commits (kgo's auto-commit does).
	//
	// A strategy with Commit commits only what it processed, so the worker
	// also does what such a strategy needs after its member lost the group
	// (a broker restart): when partitions come back, it commits what this
	// run processed there before kgo reads where to resume. See rejoined.
	Commit    func(ctx context.Context, cl *kgo.Client, latest []*kgo.Record) error
	CommitWhy string
	// CommitPer is when Commit runs: after every batch (the zero value,
	// "batch"), after every record, every Count records or every Every
	// (checked after each record), only at a clean stop ("shutdown"), or
	// never ("none": no Commit at all, not even at a clean stop). A clean
	// stop commits what was processed whatever the policy, except "none".
	CommitPer config.CommitPer
	// Wait makes the loop wait for Commit: a commit that fails is tried
	// again, with backoff, until it succeeds or the partitions are no
	// longer this member's, and nothing more is polled meanwhile. That is
	// what a synchronous commit promises: at most the batch in hand is
	// uncommitted.
	Wait bool

	// Effect is the record's lasting result outside Kafka (a row in a
	// database), done after the record's line is in the processed log and
	// before the record may be committed. It returns why the effect was
	// skipped ("" when it was done), or an error: the run then stops, and
	// nothing from that record on is committed. Optional.
	Effect func(ctx context.Context, cl *kgo.Client, r *kgo.Record) (skipped string, err error)
	// Resume, if set, is where each partition resumes instead of the
	// group's committed offsets: the next offset per partition, from where
	// the strategy keeps it (ResumeFrom, e.g. "the database"). The worker
	// asks it at the start and kgo asks it whenever partitions are assigned
	// (kgo.AdjustFetchOffsetsFn); a partition it has nothing for starts
	// where RESET says. An error stops the run. Optional.
	Resume     func(ctx context.Context) (map[int32]int64, error)
	ResumeFrom string

	// Ack makes the consumer a share group's member (KIP-932) instead of a
	// consumer group's: nothing is committed; each record is answered after
	// its work, with the status Ack returns for it (workErr is the work's
	// failure, nil when it succeeded). Commit, Processed and the rest of the
	// group settings do not apply.
	Ack func(r *kgo.Record, workErr error) kgo.AckStatus

	// Transact makes each polled batch one Kafka transaction, in place of
	// Commit: the worker builds its client with kgo.NewGroupTransactSession,
	// begins a transaction before the batch's first record and ends it after
	// the batch, which commits what the batch produced (Effect) together with
	// its consumed offsets, or neither. A batch cut short (Ctrl+C) is
	// aborted: ending a transaction commits every polled offset, processed
	// or not. Opts must include kgo.TransactionalID.
	Transact bool
}

// Exit codes.
const (
	ExitOK       = 0
	ExitCrash    = 1 // CRASH reached, or the processed log could not be written
	ExitSettings = 2 // bad settings, broker unreachable at start, topic missing, log unwritable, copy already running, or an error waiting cannot cure
	ExitFenced   = 3 // another process took this static member id
	ExitEffect   = 4 // an effect (or where to resume) could not be stored or read: the database went away
	ExitSignal   = 130
)

// validate refuses a Strategy whose fields cannot go together: the
// combinations the field comments describe, checked before anything starts.
func (s Strategy) validate() error {
	var errs []error
	refuse := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }
	perBatch := s.CommitPer.PerBatch()
	if s.Name == "" {
		refuse("a strategy needs a Name (every line says whose it is)")
	}
	if s.Ack != nil {
		// A share group has no offsets: nothing to commit, resume or mark.
		if s.Commit != nil || s.Processed != nil || s.Effect != nil || s.Resume != nil || s.Transact || s.Wait || !perBatch {
			refuse("%s: Ack (a share group's member) goes with none of Commit, Processed, Effect, Resume, Transact, Wait or CommitPer", s.Name)
		}
	}
	if s.Transact {
		// The transaction commits the offsets: a commit of its own would
		// commit them outside it.
		if s.Commit != nil || s.Wait || s.Resume != nil || s.Processed != nil || !perBatch {
			refuse("%s: Transact (a transaction per batch commits its offsets) goes with none of Commit, Wait, Resume, Processed or CommitPer", s.Name)
		}
	}
	if s.Wait && s.Commit == nil {
		refuse("%s: Wait waits for Commit, and there is none", s.Name)
	}
	if (s.Commit != nil) != (s.CommitWhy != "") {
		refuse("%s: Commit and CommitWhy (the word on its commit lines) go together", s.Name)
	}
	if !perBatch && s.Commit == nil {
		refuse("%s: CommitPer=%s says when Commit runs, and there is none", s.Name, s.CommitPer)
	}
	if (s.Resume != nil) != (s.ResumeFrom != "") {
		refuse("%s: Resume and ResumeFrom (where it reads the offsets) go together", s.Name)
	}
	return errors.Join(errs...)
}

// resolved is the strategy as the run plays it. COMMIT_PER=none turns its
// commits off altogether: no Commit after a batch, at a clean stop or on a
// revoke, nothing to wait for (the bench's baseline: what a consumer costs
// without committing).
func (s Strategy) resolved() Strategy {
	if s.CommitPer.Kind == config.CommitPerNone {
		s.Commit, s.Wait = nil, false
	}
	return s
}
