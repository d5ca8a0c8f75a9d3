package advice

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"offsetlab/internal/cluster"
	"offsetlab/internal/faults"
	"offsetlab/internal/tickets"
)

// Each fact the packages state gets the command that helps, however deep it
// is wrapped; any other error is left as it is.
func TestAdvice(t *testing.T) {
	tests := []struct {
		err  error
		want string
	}{
		{fmt.Errorf("%w at 127.0.0.1:1 (connection refused)", cluster.ErrNoBroker), "`make broker-up`"},
		{fmt.Errorf("partitions: %w", fmt.Errorf("%w: brew.orders.v1 on 127.0.0.1:9092", cluster.ErrTopicMissing)), "`make topic-create`"},
		{fmt.Errorf("%w with BROKER_DATA=.lab/broker-data", faults.ErrNoBroker), "`make broker-up`"},
		{fmt.Errorf("open: %w", tickets.ErrNoDatabase), "`make postgres-up`"},
		{errors.New("something else"), ""},
	}
	for _, tt := range tests {
		got := For(tt.err)
		if (tt.want == "") != (got == "") || !strings.Contains(got, tt.want) {
			t.Errorf("For(%v) = %q, want it to name %s", tt.err, got, tt.want)
		}
		if line := Error(tt.err); !strings.HasPrefix(line, tt.err.Error()) || !strings.Contains(line, tt.want) {
			t.Errorf("Error(%v) = %q", tt.err, line)
		}
	}
}
