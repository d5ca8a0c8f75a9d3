package cluster

import (
	"context"
	"fmt"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// SetGroupConfig sets one of group's own settings (KIP-848 and share groups
// have them: consumer.session.timeout.ms, share.auto.offset.reset, ...). An
// incremental alter changes that one setting and leaves the group's others
// alone; the broker refuses a value outside its group.* bounds
// (INVALID_CONFIG, with its reason).
func (c *Client) SetGroupConfig(ctx context.Context, group, name, value string) error {
	req := kmsg.NewPtrIncrementalAlterConfigsRequest()
	r := kmsg.NewIncrementalAlterConfigsRequestResource()
	r.ResourceType = kmsg.ConfigResourceTypeGroupConfig
	r.ResourceName = group
	cfg := kmsg.NewIncrementalAlterConfigsRequestResourceConfig()
	cfg.Name, cfg.Value = name, &value
	r.Configs = append(r.Configs, cfg)
	req.Resources = append(req.Resources, r)
	actx, cancel := c.ctx(ctx)
	defer cancel()
	resp, err := req.RequestWith(actx, c.kgo)
	if err == nil && len(resp.Resources) == 1 {
		err = kerr.ErrorForCode(resp.Resources[0].ErrorCode)
		if err != nil && resp.Resources[0].ErrorMessage != nil {
			err = fmt.Errorf("%w: %s", err, *resp.Resources[0].ErrorMessage)
		}
	}
	if err != nil {
		return fmt.Errorf("set %s=%s on group %s: %w", name, value, group, err)
	}
	return nil
}
