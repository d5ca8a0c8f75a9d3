package config

import (
	"strings"
	"testing"
)

func TestParseDatabase(t *testing.T) {
	for _, tc := range []struct {
		in, kind, path, refused string
	}{
		{in: "sqlite:.lab/kitchen.db", kind: "sqlite", path: ".lab/kitchen.db"},
		{in: "sqlite:///tmp/k.db", kind: "sqlite", path: "/tmp/k.db"},
		{in: "postgres://lab:lab@127.0.0.1:5432/kitchen", kind: "postgres"},
		{in: "postgresql://lab@db/kitchen?sslmode=disable", kind: "postgres"},
		{in: "sqlite:", refused: "needs a file path"},
		{in: "postgres:///kitchen", refused: "names no host"},
		{in: "mysql://lab:pw@127.0.0.1/kitchen", refused: "want sqlite:PATH"},
		{in: "kitchen.db", refused: "want sqlite:PATH"},
	} {
		d, err := ParseDatabase(tc.in)
		if tc.refused != "" {
			if err == nil || !strings.Contains(err.Error(), tc.refused) {
				t.Errorf("%q: want an error with %q, got %v", tc.in, tc.refused, err)
			}
			continue
		}
		if err != nil || d.Kind != tc.kind || d.Path != tc.path {
			t.Errorf("%q: got %+v, %v", tc.in, d, err)
		}
	}
}

func TestRedactURLNeverShowsThePassword(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"postgres://lab:s3cret@127.0.0.1:5432/kitchen", "postgres://lab:xxxxx@127.0.0.1:5432/kitchen"},
		{"postgres://lab@127.0.0.1/kitchen?password=s3cret&sslmode=disable", "postgres://lab@127.0.0.1/kitchen?password=xxxxx&sslmode=disable"},
		{"postgres://lab:s3cret@[::1/kitchen", "postgres:(unreadable URL, not shown)"},
		{"sqlite:.lab/kitchen.db", "sqlite:.lab/kitchen.db"},
	} {
		if got := RedactURL(tc.in); got != tc.want {
			t.Errorf("RedactURL(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

// A refused DATABASE_URL is named, and quoted back without its password.
func TestDatabaseURLSettingRefusesWithoutThePassword(t *testing.T) {
	s := New("idempotent", func(string) string { return "" })
	s.DatabaseURL()
	err := s.Parse([]string{"-database-url", "postgres://lab:s3cret@[::1/kitchen"})
	if err == nil || !strings.Contains(err.Error(), "DATABASE_URL (-database-url)") || strings.Contains(err.Error(), "s3cret") {
		t.Fatalf("got %v", err)
	}
}
