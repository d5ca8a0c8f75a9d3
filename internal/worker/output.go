package worker

import (
	"fmt"
	"time"

	"offsetlab/internal/config"
	"offsetlab/internal/events"
)

// settings is the line that says how this run is set up.
func (w *worker) settings() string {
	cfg := w.cfg
	s := fmt.Sprintf("CRASH=%d WORK_DELAY=%s MAX_POLL_RECORDS=%d", cfg.Crash, cfg.WorkDelay, cfg.MaxPollRecords)
	if cfg.WorkHold != "" {
		s += " WORK_HOLD=" + cfg.WorkHold
	}
	if cfg.CommitEvery > 0 {
		s += " COMMIT_EVERY=" + cfg.CommitEvery.String()
	}
	s += fmt.Sprintf(" IDLE_EXIT=%s LOG=%s EVENTS=%s", durOrNever(cfg.IdleExit), cfg.Log, cfg.Events)
	if cfg.Greedy {
		s += " GREEDY=1"
	}
	if cfg.Handoff > 0 {
		s += fmt.Sprintf(" HANDOFF=%d", cfg.Handoff)
	}
	if cfg.ResetLatest {
		s += " RESET=latest"
	}
	if cfg.Database.Kind != "" {
		s += " DATABASE_URL=" + cfg.Database.Redacted()
	}
	if !cfg.CommitPer.PerBatch() {
		s += " COMMIT_PER=" + cfg.CommitPer.String()
	}
	if cfg.Output != "" {
		s += fmt.Sprintf(" OUTPUT_TOPIC=%s TRANSACTION_TIMEOUT=%s", cfg.Output, cfg.TransactionTimeout)
	}
	if cfg.GroupProtocol != "" && cfg.GroupProtocol != config.ProtocolClassic {
		s += " GROUP_PROTOCOL=" + string(cfg.GroupProtocol)
	}
	if cfg.Poison != "" {
		s += fmt.Sprintf(" POISON=%s ON_FAIL=%s", cfg.Poison, cfg.OnFail)
	}
	if cfg.RebalanceTimeout != 60*time.Second && cfg.RebalanceTimeout != 0 {
		s += " REBALANCE_TIMEOUT=" + cfg.RebalanceTimeout.String()
	}
	if cfg.SessionTimeout != 0 {
		s += " SESSION_TIMEOUT=" + cfg.SessionTimeout.String()
	}
	return s
}

// event appends e to the events log. The events are for pictures, not for
// correctness: a failed write is said once, and the run goes on.
func (w *worker) event(e events.Event) {
	if err := w.events.Write(e); err != nil {
		w.out.Printf("warning: %v; this run's timeline will be incomplete (the processed log is not affected)", err)
	}
}

// commitFailed records a failed commit try in the events log.
func (w *worker) commitFailed(why string, p *int32, err error) {
	w.event(events.Event{Kind: events.CommitFailed, Cause: why, Partition: p, Detail: err.Error()})
}

func durOrNever(d time.Duration) string {
	if d == 0 {
		return "0 (never)"
	}
	return d.String()
}
