package config

import (
	"strings"
	"testing"
	"time"
)

func TestCommitPer(t *testing.T) {
	tests := []struct {
		value string
		want  CommitPer
		err   string
	}{
		{"batch", CommitPer{Kind: "batch"}, ""},
		{"record", CommitPer{Kind: "record"}, ""},
		{"none", CommitPer{Kind: "none"}, ""},
		{"shutdown", CommitPer{Kind: "shutdown"}, ""},
		{"count:100", CommitPer{Kind: "count", Count: 100}, ""},
		{"time:250ms", CommitPer{Kind: "time", Every: 250 * time.Millisecond}, ""},
		{"count:0", CommitPer{}, "N from 1"},
		{"count", CommitPer{}, "want batch, record"},
		{"time:soon", CommitPer{}, "duration from 1ms"},
		{"record:2", CommitPer{}, "want batch, record"},
		{"every", CommitPer{}, "want batch, record"},
	}
	for _, tt := range tests {
		t.Run(tt.value, func(t *testing.T) {
			c, _, err := ParseConsumer("manual-sync", nil, env(map[string]string{"COMMIT_PER": tt.value}), ConsumerDefaults{Group: "g", Log: "l", Events: "e", CommitPer: true})
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), "COMMIT_PER") || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("want an error naming COMMIT_PER with %q, got %v", tt.err, err)
				}
				return
			}
			if err != nil || c.CommitPer != tt.want {
				t.Fatalf("got %+v, %v; want %+v", c.CommitPer, err, tt.want)
			}
			if c.CommitPer.String() != tt.value {
				t.Errorf("String() = %q, want %q", c.CommitPer.String(), tt.value)
			}
		})
	}
	// Only manual-sync takes it.
	if _, _, err := ParseConsumer("auto-commit", nil, env(map[string]string{"COMMIT_PER": "record"}), autoDefaults); err != nil {
		t.Errorf("auto-commit ignores COMMIT_PER from the environment: %v", err)
	}
	if _, _, err := ParseConsumer("auto-commit", []string{"-commit-per", "record"}, env(nil), autoDefaults); err == nil {
		t.Error("auto-commit took -commit-per")
	}
}
