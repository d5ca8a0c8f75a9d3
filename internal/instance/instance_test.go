package instance

import (
	"strings"
	"testing"
)

func TestSecondCopyRefusedUntilFirstReleases(t *testing.T) {
	brokers := []string{"127.0.0.1:1", t.Name()}
	first, err := Acquire(brokers, "g", 1)
	if err != nil {
		t.Fatal(err)
	}
	_, err = Acquire(brokers, "g", 1)
	if err == nil || !strings.Contains(err.Error(), "INSTANCE=1 of group g is already running") || !strings.Contains(err.Error(), "INSTANCE=2") {
		t.Fatalf("second copy: %v", err)
	}
	other, err := Acquire(brokers, "g", 2)
	if err != nil {
		t.Fatalf("another INSTANCE must be allowed: %v", err)
	}
	other.Release()
	first.Release()
	again, err := Acquire(brokers, "g", 1)
	if err != nil {
		t.Fatalf("after release: %v", err)
	}
	again.Release()
}

func TestID(t *testing.T) {
	if got := ID("kitchen-auto", 2); got != "kitchen-auto-2" {
		t.Fatal(got)
	}
}
