package cluster

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// ShareSettings are the settings of a share group (KIP-932) that decide what
// a learner sees: where a new group starts, how long a consumer holds a
// record it was handed, how often a record is handed out before the broker
// gives up on it, and how long a silent member keeps its place.
type ShareSettings struct {
	Reset          string        // share.auto.offset.reset: earliest or latest
	LockDuration   time.Duration // share.record.lock.duration.ms: the acquisition lock
	DeliveryLimit  int           // share.delivery.count.limit: deliveries before the broker archives a record
	SessionTimeout time.Duration // share.session.timeout.ms
	// From says where the last three came from: the group's own
	// configuration (Apache Kafka answers with it, defaults filled in) or
	// the broker's group.share.* settings (the embedded broker's group
	// configuration has no values, and it uses the broker's).
	From string
}

func (s ShareSettings) String() string {
	return fmt.Sprintf("share.auto.offset.reset=%s share.record.lock.duration.ms=%d share.delivery.count.limit=%d share.session.timeout.ms=%d",
		s.Reset, s.LockDuration.Milliseconds(), s.DeliveryLimit, s.SessionTimeout.Milliseconds())
}

// SetShareReset sets share.auto.offset.reset of group: where a share group
// with no state yet starts. Its default, latest, hands out only records
// produced after the group first joined: the lab's seeded orders would never
// come.
func (c *Client) SetShareReset(ctx context.Context, group, reset string) error {
	return c.SetGroupConfig(ctx, group, "share.auto.offset.reset", reset)
}

// ShareSettings reads the settings the broker applies to share group group.
func (c *Client) ShareSettings(ctx context.Context, group string) (ShareSettings, error) {
	req := kmsg.NewPtrDescribeConfigsRequest()
	gr := kmsg.NewDescribeConfigsRequestResource()
	gr.ResourceType, gr.ResourceName = kmsg.ConfigResourceTypeGroupConfig, group
	req.Resources = append(req.Resources, gr)
	// And one broker's group.share.* settings: the embedded broker applies
	// those (its group configuration has no values).
	bctx, cancel := c.ctx(ctx)
	brokers, err := c.ListBrokers(bctx)
	cancel()
	if err != nil || len(brokers) == 0 {
		return ShareSettings{}, fmt.Errorf("list the brokers: %w", err)
	}
	br := kmsg.NewDescribeConfigsRequestResource()
	br.ResourceType, br.ResourceName = kmsg.ConfigResourceTypeBroker, strconv.Itoa(int(brokers.NodeIDs()[0]))
	req.Resources = append(req.Resources, br)
	dctx, cancel := c.ctx(ctx)
	defer cancel()
	resp, err := req.RequestWith(dctx, c.kgo)
	if err != nil {
		return ShareSettings{}, fmt.Errorf("describe the settings of share group %s: %w", group, err)
	}
	groupCfg, brokerCfg := map[string]string{}, map[string]string{}
	for _, r := range resp.Resources {
		if err := kerr.ErrorForCode(r.ErrorCode); err != nil {
			return ShareSettings{}, fmt.Errorf("describe the settings of share group %s: %w", group, err)
		}
		into := groupCfg
		if r.ResourceType == kmsg.ConfigResourceTypeBroker {
			into = brokerCfg
		}
		for _, c := range r.Configs {
			if c.Value != nil {
				into[c.Name] = *c.Value
			}
		}
	}
	s := ShareSettings{Reset: "latest", From: "the group's configuration"}
	if v, ok := groupCfg["share.auto.offset.reset"]; ok {
		s.Reset = v
	}
	value := func(name string) (int, error) {
		v, ok := groupCfg["share."+name]
		if !ok {
			s.From = "the broker's group.share.* settings"
			if v, ok = brokerCfg["group.share."+name]; !ok {
				return 0, fmt.Errorf("neither share group %s nor its broker has a value for share.%s", group, name)
			}
		}
		n, err := strconv.Atoi(v)
		if err != nil {
			return 0, fmt.Errorf("share.%s=%q: %w", name, v, err)
		}
		return n, nil
	}
	var errs []error
	ms := func(name string) time.Duration {
		n, err := value(name)
		errs = append(errs, err)
		return time.Duration(n) * time.Millisecond
	}
	s.LockDuration = ms("record.lock.duration.ms")
	s.SessionTimeout = ms("session.timeout.ms")
	limit, err := value("delivery.count.limit")
	s.DeliveryLimit = limit
	errs = append(errs, err)
	return s, errors.Join(errs...)
}

// ShareGroup is a share group as its coordinator describes it.
type ShareGroup struct {
	State   string
	Epoch   int32
	Members []Member // Assigned: partitions of the topic asked about
	// Start is the share-partition start offset per partition (SPSO): every
	// record before it was acknowledged or archived. Partitions the group
	// has no state for are missing. Apache Kafka 4.3 reports the start
	// offset it last persisted, which can trail the acknowledgements.
	Start map[int32]int64
	// Lag is the broker's count per partition of records not yet
	// acknowledged or archived; missing where the broker does not say.
	Lag map[int32]int64
}

// DescribeShareGroup describes share group group on topic: its members and
// what each was assigned, and its start offset per partition.
func (c *Client) DescribeShareGroup(ctx context.Context, group, topic string) (ShareGroup, error) {
	g := ShareGroup{State: "Dead", Start: map[int32]int64{}, Lag: map[int32]int64{}}
	dctx, cancel := c.ctx(ctx)
	defer cancel()
	described, err := c.DescribeShareGroups(dctx, group)
	if err != nil {
		return g, fmt.Errorf("describe share group %s: %w", group, err)
	}
	if d, ok := described[group]; ok && d.Err == nil {
		g.State, g.Epoch = d.GroupState, d.GroupEpoch
		for _, m := range d.Members {
			mem := Member{MemberID: m.MemberID, ClientID: m.ClientID, Host: m.ClientHost, Epoch: m.MemberEpoch}
			for p := range m.Assignment[topic] {
				mem.Assigned = append(mem.Assigned, p)
			}
			slices.Sort(mem.Assigned)
			g.Members = append(g.Members, mem)
		}
	}
	offsets, err := c.DescribeShareGroupOffsets(dctx, group)
	if err != nil {
		return g, fmt.Errorf("describe the offsets of share group %s: %w", group, err)
	}
	if o, ok := offsets[group]; ok && o.Err == nil {
		for p, so := range o.Offsets[topic] {
			if so.Err != nil {
				continue
			}
			if so.StartOffset >= 0 {
				g.Start[p] = so.StartOffset
			}
			if so.Lag >= 0 {
				g.Lag[p] = so.Lag
			}
		}
	}
	return g, nil
}

// ShareGroupSummary is what `groups` lists of a share group, which neither
// DescribeGroups nor ConsumerGroupDescribe sees: its state, members, the
// broker's lag (records not yet accepted or archived) over every topic it
// has state for, and those topics. ok is false for a group that is not one.
func (c *Client) ShareGroupSummary(ctx context.Context, group string) (state string, members int, lag int64, topics []string, ok bool) {
	dctx, cancel := c.ctx(ctx)
	defer cancel()
	described, err := c.DescribeShareGroups(dctx, group)
	d, found := described[group]
	if err != nil || !found || d.Err != nil || d.GroupState == "Dead" {
		return "", 0, 0, nil, false
	}
	if offsets, err := c.DescribeShareGroupOffsets(dctx, group); err == nil {
		for t, ps := range offsets[group].Offsets {
			topics = append(topics, t)
			for _, o := range ps {
				if o.Err == nil && o.Lag > 0 {
					lag += o.Lag
				}
			}
		}
	}
	slices.Sort(topics)
	return d.GroupState, len(d.Members), lag, topics, true
}
