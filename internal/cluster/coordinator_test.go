package cluster

import (
	"math"
	"testing"
)

// Java's String.hashCode, checked against values Java prints.
func TestJavaStringHash(t *testing.T) {
	tests := []struct {
		s    string
		want int32
	}{
		{"", 0},
		{"a", 97},
		{"kitchen-auto", javaHash("kitchen-auto")},
		{"polygenelubricants", math.MinInt32}, // the classic: its hashCode is Integer.MIN_VALUE
		{"é☕", 233*31 + 0x2615},               // UTF-16 code units, not bytes
		{"𝄞", 0xD834*31 + 0xDD1E},             // one rune, two code units
	}
	for _, tt := range tests {
		if got := JavaStringHash(tt.s); got != tt.want {
			t.Errorf("JavaStringHash(%q) = %d, want %d", tt.s, got, tt.want)
		}
	}
	if p := OffsetsPartition("polygenelubricants", 50); p != 0 {
		t.Errorf("Utils.abs(Integer.MIN_VALUE) %% 50 is 0 in Kafka, got %d", p)
	}
	for _, g := range []string{"kitchen-auto", "kitchen-sync", "kitchen-async", "a", "zzzzzzzzzzzzzzzzzz"} {
		if p := OffsetsPartition(g, 50); p < 0 || p >= 50 {
			t.Errorf("OffsetsPartition(%q, 50) = %d", g, p)
		}
	}
}

// javaHash is the definition, written out over ASCII: what JavaStringHash
// must agree with where bytes and UTF-16 code units are the same.
func javaHash(s string) int32 {
	var h int32
	for i := 0; i < len(s); i++ {
		h = h*31 + int32(s[i])
	}
	return h
}
