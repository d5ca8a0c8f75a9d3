package otherclient

import (
	"errors"
	"time"
)

// errIdle is the cause of an IDLE_EXIT stop.
var errIdle = errors.New("IDLE_EXIT")

// watchIdle stops the run (cleanly) once no record has come for IDLE_EXIT and
// the run is caught up: every partition's end is reached by what this run
// processed or by what the group has committed (a partition another copy
// holds, or one with nothing new).
func (r *Run) watchIdle() {
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	for {
		select {
		case <-r.ctx.Done():
			return
		case <-tick.C:
		}
		r.mu.Lock()
		quiet := time.Since(r.lastAt)
		r.mu.Unlock()
		if quiet < r.Cfg.IdleExit || !r.caughtUp() {
			continue
		}
		r.out.Printf("IDLE_EXIT=%s: no record for %.1fs and every partition read to its end: stopping", r.Cfg.IdleExit, quiet.Seconds())
		r.cancel(errIdle)
		return
	}
}

func (r *Run) caughtUp() bool {
	ranges, err := r.adm.Ranges(r.ctx, r.Cfg.Topic)
	if err != nil {
		return false
	}
	committed, err := r.adm.Committed(r.ctx, r.Cfg.Group, r.Cfg.Topic)
	if err != nil {
		return false
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	for p, rg := range ranges {
		if max(r.position[p], committed[p]) < rg.End {
			return false
		}
	}
	return true
}
