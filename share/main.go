// share reads the orders as a member of a share group (KIP-932, "queues for
// Kafka"), not a consumer group: there is no offset to commit.
//
// The broker hands each record to one member at a time and locks it to that
// member (the acquisition lock, share.record.lock.duration.ms). The member
// answers per record, after its work:
//
//	accept   done: the broker never hands it out again
//	release  not done: hand it out again (to any member), one delivery more
//	reject   never: the broker archives it at once
//
// A record released share.delivery.count.limit times is archived too. One
// that gets no answer at all (a crash, a kill) comes back once the broker
// sees the member's connection close, or its lock runs out. What a consumer
// group records as one offset per partition, a share group records per
// record: several members can read one partition side by side, and a record
// is done when it is answered, whatever came before it.
//
// The work fails for the record whose key is POISON; ON_FAIL says what that
// failure answers: release (the default: try again, up to the limit) or
// reject (give up at once).
package main

import (
	"os"

	"github.com/twmb/franz-go/pkg/kgo"

	"offsetlab/internal/config"
	"offsetlab/internal/worker"
)

func main() {
	cfg, set, err := config.ParseConsumer("share", os.Args[1:], os.Getenv, config.ConsumerDefaults{
		Group:  "kitchen-share",
		Log:    "processed-share.log",
		Events: "events-share.jsonl",

		Share: true,
	})
	if err != nil {
		os.Exit(config.Fail("share", set, err))
	}

	onFail := kgo.AckRelease
	if cfg.OnFail == config.OnFailReject {
		onFail = kgo.AckReject
	}
	os.Exit(worker.Run(cfg, worker.Strategy{
		Name: "share",
		Opts: []kgo.Opt{
			// The broker hands a member at most MAX_POLL_RECORDS records per
			// fetch, and strictly: a member holds only the batch in hand, so
			// a crash takes back at most that batch, as in the other
			// strategies (kgo's default would lock up to 500 ahead).
			kgo.ShareMaxRecords(int32(max(cfg.MaxPollRecords, 1))),
			kgo.ShareMaxRecordsStrict(),
		},
		// After each record's work: accept it, or answer its failure as
		// ON_FAIL says. The worker waits for the broker to have a batch's
		// answers (kgo's FlushAcks) before it polls the next.
		Ack: func(r *kgo.Record, workErr error) kgo.AckStatus {
			if workErr != nil {
				return onFail
			}
			return kgo.AckAccept
		},
	}))
}
