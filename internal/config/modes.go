package config

// The consumers' modes are types, each with its constants, so that a mode is
// compared with a name the compiler knows, never with a string.

// Print is what a run prints as it goes (PRINT).
type Print string

const (
	PrintRecords  Print = "records"  // a line per record and per commit
	PrintProgress Print = "progress" // a line a second instead
	PrintNone     Print = "none"     // neither: what the bench runs
)

// GroupProtocol is how a member joins its group (GROUP_PROTOCOL).
type GroupProtocol string

const (
	// ProtocolClassic: the members assign the partitions among themselves
	// (the protocol the lesson describes), and every rebalance stops them all.
	ProtocolClassic GroupProtocol = "classic"
	// ProtocolConsumer: KIP-848, the broker assigns, one member at a time.
	ProtocolConsumer GroupProtocol = "consumer"
)

// OnFail is how a share group's member answers a record whose work failed
// (ON_FAIL).
type OnFail string

const (
	OnFailRelease OnFail = "release" // handed out again, up to the group's delivery limit
	OnFailReject  OnFail = "reject"  // archived at once
)

// CommitPerKind is when manual-sync and manual-async commit (COMMIT_PER),
// in Spring Kafka's words where it has one.
type CommitPerKind string

const (
	CommitPerBatch  CommitPerKind = "batch"  // after every polled batch (BATCH); the zero value means it too
	CommitPerRecord CommitPerKind = "record" // after every record (RECORD, MANUAL_IMMEDIATE)
	CommitPerCount  CommitPerKind = "count"  // every Count records (COUNT)
	CommitPerTime   CommitPerKind = "time"   // every Every (TIME)
	CommitPerNone   CommitPerKind = "none"   // never: the bench's baseline
	// CommitPerShutdown: only at a clean stop (and on a revoke). With
	// manual-async's timer sending the marks in between, it is the lesson
	// texts' production pattern: commitAsync in the loop, one commitSync at
	// shutdown.
	CommitPerShutdown CommitPerKind = "shutdown"
)

// GroupProtocol is the GROUP_PROTOCOL setting, described for the binary
// that takes it.
func (s *Set) GroupProtocol(usage string) *GroupProtocol {
	return ChoiceOf(s, "GROUP_PROTOCOL", ProtocolClassic, []GroupProtocol{ProtocolClassic, ProtocolConsumer}, usage)
}

// CrashWhen is when CRASH strikes a consumer over another client (kafka-go,
// librdkafka), with the next record in hand (CRASH_WHEN).
type CrashWhen string

const (
	// CrashNow: as soon as the record is in hand.
	CrashNow CrashWhen = "now"
	// CrashCommitted: once the broker has the record in hand as committed
	// (a client that takes an offset as done when it hands the record
	// over), or after a limit if it never does: the loss recipe.
	CrashCommitted CrashWhen = "committed"
)
