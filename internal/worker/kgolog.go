package worker

import (
	"fmt"
	"reflect"
	"slices"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
)

// kgoLog reads two things only kgo's own log says, and prints them the lab's
// way; everything else kgo logs is dropped:
//   - "retrying request" for an OffsetCommit: kgo retries a commit inside one
//     commit call by itself (coordinator errors, a broken connection), so the
//     caller never sees those tries fail; the lab shows each one;
//   - "new group session begun": which partitions a cooperative rebalance
//     added and which it took away (see sessionBegun);
//   - "handled list results": where kgo starts reading partitions the group
//     has nothing committed for, once the broker said where RESET's
//     earliest or latest offset is (see listed).
type kgoLog struct{ w *worker }

func (l kgoLog) Level() kgo.LogLevel { return kgo.LogLevelDebug }

func (l kgoLog) Log(_ kgo.LogLevel, msg string, keyvals ...any) {
	if l.w.dead.Load() {
		return // crashed: a dead process says nothing more
	}
	switch msg {
	case "retrying request":
		if value(keyvals, "request") != "OffsetCommit" {
			return
		}
		cause := value(keyvals, "response_error")
		if cause == nil {
			cause = value(keyvals, "request_error")
			if err, ok := cause.(error); ok && unreachable(err) {
				l.w.broker.failedTry(err)
				l.w.commitFailed("kgo-retry", nil, err)
				return
			}
		}
		l.w.commitFailed("kgo-retry", nil, fmt.Errorf("%v", cause))
		l.w.out.Printf("commit try %v failed inside kgo: %v; kgo tries again by itself in %v (the commit call has not returned)",
			value(keyvals, "tries"), cause, roundDur(value(keyvals, "backoff")))
	case "new group session begun":
		l.w.sessionBegun(partitionsOf(value(keyvals, "added"), l.w.cfg.Topic), partitionsOf(value(keyvals, "lost"), l.w.cfg.Topic))
	case "handled list results":
		if using, ok := value(keyvals, "using").(map[string]map[int32]kgo.EpochOffset); ok && len(using[l.w.cfg.Topic]) > 0 {
			l.w.listed(using[l.w.cfg.Topic])
		}
	}
}

func value(keyvals []any, key string) any {
	for i := 0; i+1 < len(keyvals); i += 2 {
		if keyvals[i] == key {
			return keyvals[i+1]
		}
	}
	return nil
}

// partitionsOf reads topic's partitions from one of kgo's logged
// topic→partitions maps (a named map[string][]int32).
func partitionsOf(v any, topic string) []int32 {
	rv := reflect.ValueOf(v)
	if rv.Kind() != reflect.Map || !rv.Type().ConvertibleTo(reflect.TypeFor[map[string][]int32]()) {
		return nil
	}
	m := rv.Convert(reflect.TypeFor[map[string][]int32]()).Interface().(map[string][]int32)
	ps := slices.Clone(m[topic])
	slices.Sort(ps)
	return ps
}

func roundDur(v any) any {
	if d, ok := v.(time.Duration); ok {
		return d.Round(time.Millisecond)
	}
	return v
}
