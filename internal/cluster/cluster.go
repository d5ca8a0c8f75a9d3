// Package cluster is the lab's thin layer over franz-go's kadm: the handful of
// admin questions the consumers, seed and the admin command ask (is a broker
// there, does the topic exist, what are its offsets, what has a group
// committed), each answered within a deadline and with an error a learner can
// act on.
package cluster

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"

	"offsetlab/internal/config"
	"offsetlab/internal/tally"
)

// ReachTimeout bounds how long any command waits for a broker that is not
// there: kgo retries dials forever unless a deadline stops it.
const ReachTimeout = 5 * time.Second

// ErrTopicMissing means the topic does not exist on the broker.
var ErrTopicMissing = errors.New("topic does not exist")

// ErrNoBroker means no broker answered at the addresses given.
var ErrNoBroker = errors.New("no Kafka broker answered")

// Client wraps a kadm client and the connection it was made with.
type Client struct {
	*kadm.Client
	Conn config.Connection
	kgo  *kgo.Client
}

// Dial makes an admin client and checks, within ReachTimeout, that a broker answers.
func Dial(ctx context.Context, conn config.Connection) (*Client, error) {
	brokers := conn.Brokers
	cl, err := kgo.NewClient(append(conn.Opts(),
		kgo.DialTimeout(2*time.Second),
		// Admin calls are few and small; give up on a request rather than
		// retrying for the default 30s, so a dead broker answers in seconds.
		kgo.RetryTimeout(ReachTimeout),
		// kadm answers topic questions from kgo's metadata cache, kept for 5s
		// by default: too stale to see a topic deleted a moment ago.
		kgo.MetadataMinAge(250*time.Millisecond),
	)...)
	if err != nil {
		return nil, fmt.Errorf("admin client for %s: %w", strings.Join(brokers, ","), err)
	}
	c := &Client{Client: kadm.NewClient(cl), Conn: conn, kgo: cl}
	// kgo's dial retries do not always stop at the context's deadline (a
	// port that accepts connections but never answers kept Ping for 10s), so
	// the deadline is enforced here.
	start := time.Now()
	pctx, cancel := context.WithTimeout(ctx, ReachTimeout)
	defer cancel()
	pinged := make(chan error, 1)
	go func() { pinged <- cl.Ping(pctx) }()
	var pingErr error
	select {
	case pingErr = <-pinged:
	case <-pctx.Done():
		pingErr = pctx.Err()
	}
	if pingErr != nil {
		go cl.Close() // may wait for the abandoned dial; nobody needs to
		if why := refused(pingErr, conn); why != "" {
			the := "the broker at"
			if len(brokers) > 1 {
				the = "the brokers at"
			}
			return nil, fmt.Errorf("%s %s %s", the, strings.Join(brokers, ","), why)
		}
		waited := ""
		if d := time.Since(start); d >= time.Second {
			waited = " within " + d.Round(100*time.Millisecond).String()
		}
		// kgo's own words for a connection closed at once already ask "is
		// TLS missing?" or "is SASL missing?".
		return nil, fmt.Errorf("%w at %s%s (%w)", ErrNoBroker, strings.Join(brokers, ","), waited, pingErr)
	}
	return c, nil
}

// refused says, in terms of the lab's settings, why a broker that answered
// would not let the client in: a SASL or TLS refusal is not an unreachable
// broker, and the learner needs to know which setting to fix. "" if the
// error is neither.
func refused(err error, conn config.Connection) string {
	var (
		unknownCA x509.UnknownAuthorityError
		badName   x509.HostnameError
		badCert   *tls.CertificateVerificationError
		notTLS    tls.RecordHeaderError
		firstEOF  *kgo.ErrFirstReadEOF
	)
	switch {
	case errors.Is(err, kerr.SaslAuthenticationFailed):
		return fmt.Sprintf("refused SASL_USER=%s with SASL_MECHANISM=%s: %v (check SASL_PASSWORD or SASL_PASSWORD_FILE, and that the user exists for this mechanism)",
			conn.SASLUser, conn.SASLMechanism, err)
	case conn.SASLMechanism != "" && errors.Is(err, io.EOF) && !errors.As(err, &firstEOF):
		// kfake closes the connection on a failed login where Apache Kafka
		// answers SASL_AUTHENTICATION_FAILED. (kgo's guess at a connection
		// closed at once, ErrFirstReadEOF, is about TLS or SASL missing.)
		return fmt.Sprintf("closed the connection while SASL_USER=%s logged in with SASL_MECHANISM=%s (%v): the embedded broker does that for a wrong password, an unknown user or another mechanism than the one it was started with (check SASL_PASSWORD or SASL_PASSWORD_FILE)",
			conn.SASLUser, conn.SASLMechanism, err)
	case errors.As(err, &firstEOF):
		return fmt.Sprintf("closed the connection (%v): set TLS=1 for a TLS listener, SASL_MECHANISM with SASL_USER and a password for a SASL one", err)
	case errors.Is(err, kerr.UnsupportedSaslMechanism), errors.Is(err, kerr.IllegalSaslState):
		return fmt.Sprintf("does not take SASL_MECHANISM=%s: %v", conn.SASLMechanism, err)
	case errors.As(err, &unknownCA):
		return fmt.Sprintf("sent a TLS certificate signed by a CA this client does not trust (%v): set TLS_CA to the PEM file of the CA that signed it", err)
	case errors.As(err, &badName):
		return fmt.Sprintf("sent a TLS certificate for another name (%v): set TLS_SERVER_NAME to a name the certificate carries, or use that name in BROKERS", err)
	case errors.As(err, &badCert):
		return fmt.Sprintf("sent a TLS certificate this client refuses (%v): check TLS_CA and TLS_SERVER_NAME", err)
	case errors.As(err, &notTLS):
		return fmt.Sprintf("does not speak TLS on that port (%v): unset TLS, or use the broker's TLS port in BROKERS", err)
	}
	return ""
}

// Close closes the underlying client.
func (c *Client) Close() { c.kgo.Close() }

func (c *Client) ctx(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(ctx, ReachTimeout)
}

// CoordinatorWait bounds how long group questions wait for a group
// coordinator. Real Kafka answers COORDINATOR_NOT_AVAILABLE until its
// __consumer_offsets topic exists and is loaded, which on a fresh broker takes
// a few seconds after the first group question.
const CoordinatorWait = 30 * time.Second

// retry runs fn until it returns no error or a non-retriable one (kerr's own
// classification), or CoordinatorWait has passed.
func retry(ctx context.Context, fn func() error) error {
	deadline := time.Now().Add(CoordinatorWait)
	for {
		err := fn()
		if err == nil || !kerr.IsRetriable(err) || time.Now().After(deadline) {
			return err
		}
		select {
		case <-ctx.Done():
			return err
		case <-time.After(250 * time.Millisecond):
		}
	}
}

// Partitions returns the topic's partition ids, ascending, or ErrTopicMissing.
func (c *Client) Partitions(ctx context.Context, topic string) ([]int32, error) {
	ctx, cancel := c.ctx(ctx)
	defer cancel()
	td, err := c.ListTopics(ctx, topic)
	if err != nil {
		return nil, fmt.Errorf("list topic %s: %w", topic, err)
	}
	d, ok := td[topic]
	if !ok || errors.Is(d.Err, kerr.UnknownTopicOrPartition) {
		return nil, fmt.Errorf("%w: %s on %s", ErrTopicMissing, topic, strings.Join(c.Conn.Brokers, ","))
	}
	if d.Err != nil {
		return nil, fmt.Errorf("describe topic %s: %w", topic, d.Err)
	}
	ps := make([]int32, 0, len(d.Partitions))
	for p := range d.Partitions {
		ps = append(ps, p)
	}
	sort.Slice(ps, func(i, j int) bool { return ps[i] < ps[j] })
	return ps, nil
}

// Ranges returns each partition's [log start, log end) offsets.
func (c *Client) Ranges(ctx context.Context, topic string) (map[int32]tally.Range, error) {
	if _, err := c.Partitions(ctx, topic); err != nil {
		return nil, err
	}
	ctx, cancel := c.ctx(ctx)
	defer cancel()
	starts, err := c.ListStartOffsets(ctx, topic)
	if err != nil {
		return nil, fmt.Errorf("list start offsets of %s: %w", topic, err)
	}
	ends, err := c.ListEndOffsets(ctx, topic)
	if err != nil {
		return nil, fmt.Errorf("list end offsets of %s: %w", topic, err)
	}
	out := map[int32]tally.Range{}
	var errs []error
	ends.Each(func(o kadm.ListedOffset) {
		if o.Topic != topic {
			return
		}
		s, ok := starts.Lookup(topic, o.Partition)
		switch {
		case o.Err != nil:
			errs = append(errs, fmt.Errorf("end offset of p%d: %w", o.Partition, o.Err))
		case !ok || s.Err != nil:
			errs = append(errs, fmt.Errorf("start offset of p%d: %v", o.Partition, s.Err))
		default:
			out[o.Partition] = tally.Range{Start: s.Offset, End: o.Offset}
		}
	})
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return out, nil
}

// TopicRanges dials brokers, asks for topic's Ranges and hangs up: for a
// command that needs nothing else from the broker (counting, drawing), and
// that goes on without an answer.
func TopicRanges(ctx context.Context, conn config.Connection, topic string) (map[int32]tally.Range, error) {
	adm, err := Dial(ctx, conn)
	if err != nil {
		return nil, err
	}
	defer adm.Close()
	return adm.Ranges(ctx, topic)
}

// Committed returns the group's committed offset per partition of topic.
// A group that never committed (or was deleted) is a normal state: the map is
// then empty, not an error.
func (c *Client) Committed(ctx context.Context, group, topic string) (map[int32]int64, error) {
	var resp kadm.OffsetResponses
	err := retry(ctx, func() error {
		fctx, cancel := c.ctx(ctx)
		defer cancel()
		var err error
		resp, err = c.FetchOffsets(fctx, group)
		return err
	})
	if errors.Is(err, kerr.GroupIDNotFound) {
		return map[int32]int64{}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("fetch committed offsets of group %s: %w", group, err)
	}
	out := map[int32]int64{}
	var errs []error
	for p, o := range resp[topic] {
		if o.Err != nil {
			errs = append(errs, fmt.Errorf("committed offset of %s p%d: %w", topic, p, o.Err))
			continue
		}
		if o.At >= 0 {
			out[p] = o.At
		}
	}
	return out, errors.Join(errs...)
}

// Group is what describe shows: state, members and per-partition offsets.
type Group struct {
	Name         string
	TopicMissing bool
	State        string // Empty, Stable, PreparingRebalance, ..., or Dead when unknown to the broker
	// Type is the group protocol: "classic" (the members assign, the
	// lesson's protocol) or "consumer" (KIP-848: the broker assigns).
	Type string
	// Protocol is the partition assignor: the one the members agreed on
	// (classic, e.g. cooperative-sticky) or the broker's (consumer, e.g.
	// uniform).
	Protocol   string
	Epoch      int32 // consumer: the group epoch, bumped by every change of membership or subscription
	Members    []Member
	Partitions []PartitionOffsets
}

// Member is one live member of a group.
type Member struct {
	MemberID, InstanceID, ClientID, Host string
	Epoch                                int32   // consumer: the member's epoch (its assignment's version)
	Assigned                             []int32 // partitions of the topic asked about
}

// OffsetsLine is "p0→5 p1→- p2→10": the next offset per partition, - for none.
func OffsetsLine(offsets map[int32]int64, partitions []int32) string {
	parts := make([]string, len(partitions))
	for i, p := range partitions {
		if o, ok := offsets[p]; ok {
			parts[i] = fmt.Sprintf("p%d→%d", p, o)
		} else {
			parts[i] = fmt.Sprintf("p%d→-", p)
		}
	}
	return strings.Join(parts, " ")
}

// PartitionNames is "p0 p1 p2", in ascending order, or "no partitions".
func PartitionNames(ps []int32) string {
	if len(ps) == 0 {
		return "no partitions"
	}
	ps = slices.Clone(ps)
	slices.Sort(ps)
	names := make([]string, len(ps))
	for i, p := range ps {
		names[i] = fmt.Sprintf("p%d", p)
	}
	return strings.Join(names, " ")
}

// Name is how the lab names a member: its static instance id if it has one.
func (m Member) Name() string {
	if m.InstanceID != "" {
		return m.InstanceID
	}
	return m.MemberID
}

// PartitionOffsets is one row of describe: committed, log end and lag.
type PartitionOffsets struct {
	Partition int32
	Committed int64 // -1: nothing committed
	LogStart  int64
	LogEnd    int64
}

// Resume is where the group starts reading the partition: its committed
// offset, or the log start when nothing is committed (the lab's consumers
// reset to the earliest offset).
func (p PartitionOffsets) Resume() int64 {
	if p.Committed < 0 {
		return p.LogStart
	}
	return p.Committed
}

// Lag is what the group still has to read in the partition.
func (p PartitionOffsets) Lag() int64 { return p.LogEnd - p.Resume() }

// DescribeGroup gathers state, members and offsets of group on topic.
func (c *Client) DescribeGroup(ctx context.Context, group, topic string) (Group, error) {
	g := Group{Name: group, Type: "classic"}
	// A KIP-848 group answers ConsumerGroupDescribe; a classic one (or a
	// broker without KIP-848) does not, and is described the classic way.
	if cg, ok := c.describeConsumerGroup(ctx, group); ok {
		g.Type, g.State, g.Protocol, g.Epoch = "consumer", cg.State, cg.AssignorName, cg.Epoch
		// Kafka names the assigned topics; the embedded broker gives their
		// ids only.
		var id [16]byte
		if ts, err := c.ListTopics(ctx, topic); err == nil {
			id = ts[topic].ID
		}
		for _, m := range cg.Members {
			mem := Member{MemberID: m.MemberID, ClientID: m.ClientID, Host: m.ClientHost, Epoch: m.MemberEpoch}
			if m.InstanceID != nil {
				mem.InstanceID = *m.InstanceID
			}
			for _, tp := range m.Assignment.TopicPartitions {
				if tp.Topic == topic || tp.TopicID == id {
					mem.Assigned = append(mem.Assigned, tp.Partitions...)
				}
			}
			slices.Sort(mem.Assigned)
			g.Members = append(g.Members, mem)
		}
		return c.groupOffsets(ctx, g, topic)
	}
	var d kadm.DescribedGroup
	var ok bool
	err := retry(ctx, func() error {
		dctx, cancel := c.ctx(ctx)
		defer cancel()
		dg, err := c.DescribeGroups(dctx, group)
		if err != nil {
			return err
		}
		d, ok = dg[group]
		if ok && d.Err != nil && kerr.IsRetriable(d.Err) {
			return d.Err
		}
		return nil
	})
	if err != nil {
		return g, fmt.Errorf("describe group %s: %w", group, err)
	}
	switch {
	case !ok:
		g.State = "Dead"
	case d.Err != nil && !errors.Is(d.Err, kerr.GroupIDNotFound):
		return g, fmt.Errorf("describe group %s: %w", group, d.Err)
	case d.Err != nil:
		g.State = "Dead"
	default:
		g.State, g.Protocol = d.State, d.Protocol
		for _, m := range d.Members {
			mem := Member{MemberID: m.MemberID, ClientID: m.ClientID, Host: m.ClientHost}
			if m.InstanceID != nil {
				mem.InstanceID = *m.InstanceID
			}
			if ca, ok := m.Assigned.AsConsumer(); ok {
				for _, t := range ca.Topics {
					if t.Topic == topic {
						mem.Assigned = append(mem.Assigned, t.Partitions...)
					}
				}
				sort.Slice(mem.Assigned, func(i, j int) bool { return mem.Assigned[i] < mem.Assigned[j] })
			}
			g.Members = append(g.Members, mem)
		}
	}
	return c.groupOffsets(ctx, g, topic)
}

// describeConsumerGroup describes group as a KIP-848 group, if it is one
// (ConsumerGroupDescribe, sent to the group's coordinator by kgo).
func (c *Client) describeConsumerGroup(ctx context.Context, group string) (kmsg.ConsumerGroupDescribeResponseGroup, bool) {
	dctx, cancel := c.ctx(ctx)
	defer cancel()
	req := kmsg.NewPtrConsumerGroupDescribeRequest()
	req.Groups = []string{group}
	resp, err := req.RequestWith(dctx, c.kgo)
	if err != nil || len(resp.Groups) != 1 {
		return kmsg.ConsumerGroupDescribeResponseGroup{}, false
	}
	d := resp.Groups[0]
	return d, d.ErrorCode == 0 && d.State != "Dead"
}

// KIP848Group is what `groups` lists of a KIP-848 group, which the classic
// DescribeGroups (kadm's Lag) does not see (Apache Kafka answers
// GROUP_ID_NOT_FOUND): its state, member count, total lag and topics
// (subscribed or committed). ok is false for a group that is not one.
func (c *Client) KIP848Group(ctx context.Context, group string) (state string, members int, lag int64, topics []string, ok bool) {
	d, ok := c.describeConsumerGroup(ctx, group)
	if !ok {
		return "", 0, 0, nil, false
	}
	for _, m := range d.Members {
		topics = append(topics, m.SubscribedTopics...)
	}
	fctx, cancel := c.ctx(ctx)
	committed, err := c.FetchOffsets(fctx, group)
	cancel()
	if err == nil {
		for t := range committed {
			topics = append(topics, t)
		}
	}
	slices.Sort(topics)
	topics = slices.Compact(topics)
	for _, t := range topics {
		if g, err := c.groupOffsets(ctx, Group{Name: group}, t); err == nil {
			for _, p := range g.Partitions {
				lag += p.Lag()
			}
		}
	}
	return d.State, len(d.Members), lag, topics, true
}

// groupOffsets fills in g's committed offset, log start and end per partition.
func (c *Client) groupOffsets(ctx context.Context, g Group, topic string) (Group, error) {
	group := g.Name
	ranges, err := c.Ranges(ctx, topic)
	if errors.Is(err, ErrTopicMissing) {
		g.TopicMissing = true
		return g, nil
	}
	if err != nil {
		return g, err
	}
	committed, err := c.Committed(ctx, group, topic)
	if err != nil {
		return g, err
	}
	for p, r := range ranges {
		po := PartitionOffsets{Partition: p, Committed: -1, LogStart: r.Start, LogEnd: r.End}
		if at, ok := committed[p]; ok {
			po.Committed = at
		}
		g.Partitions = append(g.Partitions, po)
	}
	sort.Slice(g.Partitions, func(i, j int) bool { return g.Partitions[i].Partition < g.Partitions[j].Partition })
	return g, nil
}

// RemoveStaticMember makes the broker forget a static member (KIP-345) by its
// instance id. kgo sends no LeaveGroup on Close for a member with an instance
// id (so that a quick restart keeps its partitions), which would leave the
// group looking active, and refusing resets and deletes, for a whole session
// timeout after a clean stop.
func (c *Client) RemoveStaticMember(ctx context.Context, group, instanceID string) error {
	err := retry(ctx, func() error {
		lctx, cancel := c.ctx(ctx)
		defer cancel()
		resp, err := c.LeaveGroup(lctx, kadm.LeaveGroup(group).InstanceIDs(instanceID).Reason("offsets lab: clean stop"))
		if err != nil {
			return err
		}
		return resp.Error()
	})
	if err != nil && !errors.Is(err, kerr.UnknownMemberID) {
		return fmt.Errorf("remove member %s from group %s: %w", instanceID, group, err)
	}
	return c.leaveKIP848(ctx, group, instanceID)
}

// leaveKIP848 ends a KIP-848 static member that is still in its group after
// the LeaveGroup above: kgo's Close leaves as a static member does (epoch -2,
// "back soon"), and the group then keeps its partitions for it until its
// session times out. Apache Kafka removes it on LeaveGroup; the embedded
// broker does not, and never times it out. A heartbeat with epoch -1 in the
// member's name is the member's own "gone for good", which both honour.
func (c *Client) leaveKIP848(ctx context.Context, group, instanceID string) error {
	d, ok := c.describeConsumerGroup(ctx, group)
	if !ok {
		return nil
	}
	for _, m := range d.Members {
		if m.InstanceID == nil || *m.InstanceID != instanceID {
			continue
		}
		req := kmsg.NewPtrConsumerGroupHeartbeatRequest()
		req.Group, req.MemberID, req.MemberEpoch, req.InstanceID = group, m.MemberID, -1, m.InstanceID
		hctx, cancel := c.ctx(ctx)
		resp, err := req.RequestWith(hctx, c.kgo)
		cancel()
		if err == nil {
			err = kerr.ErrorForCode(resp.ErrorCode)
		}
		if err != nil && !errors.Is(err, kerr.UnknownMemberID) {
			return fmt.Errorf("remove KIP-848 member %s from group %s: %w", instanceID, group, err)
		}
	}
	return nil
}

// ForgetGroup deletes a group (its committed offsets), waiting for the
// group's coordinator as every group question does.
//
// It first deletes the group's committed offsets one by one (OffsetDelete),
// then the group. On Apache Kafka the first step changes nothing. The
// embedded broker (the pinned kfake) does not write a group's deletion to its
// data directory, so after a broker restart a deleted group's offsets came
// back; it does write deleted offsets. A group with members refuses both
// steps, and the second says so (NON_EMPTY_GROUP).
func (c *Client) ForgetGroup(ctx context.Context, group string) error {
	err := retry(ctx, func() error {
		fctx, cancel := c.ctx(ctx)
		defer cancel()
		offsets, err := c.FetchOffsets(fctx, group)
		if err != nil {
			return err
		}
		set := kadm.TopicsSet{}
		offsets.Each(func(o kadm.OffsetResponse) {
			if o.Err == nil && o.At >= 0 {
				set.Add(o.Topic, o.Partition)
			}
		})
		_, err = c.DeleteOffsets(fctx, group, set)
		return err
	})
	if err != nil && !errors.Is(err, kerr.GroupIDNotFound) && !errors.Is(err, kerr.GroupSubscribedToTopic) && !errors.Is(err, kerr.NonEmptyGroup) {
		return err
	}
	return retry(ctx, func() error {
		dctx, cancel := c.ctx(ctx)
		defer cancel()
		resp, err := c.DeleteGroup(dctx, group)
		if err != nil {
			return err
		}
		return resp.Err
	})
}

// Lags is kadm's Lag for the groups, waiting for their coordinators: a group
// whose coordinator is still loading is asked again.
func (c *Client) Lags(ctx context.Context, groups ...string) (kadm.DescribedGroupLags, error) {
	var lags kadm.DescribedGroupLags
	err := retry(ctx, func() error {
		lctx, cancel := c.ctx(ctx)
		defer cancel()
		var err error
		if lags, err = c.Lag(lctx, groups...); err != nil {
			return err
		}
		for _, l := range lags {
			if err := l.Error(); err != nil && kerr.IsRetriable(err) {
				return err
			}
		}
		return nil
	})
	if err != nil && lags == nil {
		return nil, err
	}
	return lags, nil
}

// Supports says whether every broker answers request key at version min or
// later (kmsg.ConsumerGroupHeartbeat v1: KIP-848 groups, as kgo needs them),
// and, if not, which broker does not and what it answers instead.
func (c *Client) Supports(ctx context.Context, key kmsg.Key, min int16) (bool, string, error) {
	ctx, cancel := c.ctx(ctx)
	defer cancel()
	vs, err := c.ApiVersions(ctx)
	if err != nil {
		return false, "", fmt.Errorf("ask the brokers which requests they answer: %w", err)
	}
	for _, v := range vs.Sorted() {
		if v.Err != nil {
			return false, "", fmt.Errorf("ask broker %d which requests it answers: %w", v.NodeID, v.Err)
		}
		if max, ok := v.KeyMaxVersion(int16(key)); !ok {
			return false, fmt.Sprintf("broker %d does not answer %s at all", v.NodeID, key.Name()), nil
		} else if max < min {
			return false, fmt.Sprintf("broker %d answers %s only up to v%d", v.NodeID, key.Name(), max), nil
		}
	}
	return true, "", nil
}
