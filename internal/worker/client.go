package worker

import (
	"context"

	"github.com/twmb/franz-go/pkg/kgo"
)

// waitClient waits until w.cl is set. kgo joins the group in the background
// as soon as NewClient has made the client, and calls the callbacks given to
// it (where to resume, a revoke) from there, possibly before NewClient has
// returned it to the worker (seen under load: a nil client).
func (w *worker) waitClient(ctx context.Context) bool {
	select {
	case <-w.clReady:
		return true
	case <-ctx.Done():
		return false
	}
}

func (w *worker) resetOffset() kgo.Offset {
	if w.cfg.ResetLatest {
		return kgo.NewOffset().AtEnd()
	}
	return kgo.NewOffset().AtStart()
}
