package processedlog

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestFormatIsOneLineOfFourFields(t *testing.T) {
	tests := []struct {
		name string
		e    Entry
		line string
	}{
		{"plain", Entry{Partition: 0, Offset: 7, Key: "order-0007", Value: "2 x latte for table 3"}, "0,7,order-0007,2 x latte for table 3\n"},
		{"comma in value", Entry{Partition: 1, Offset: 0, Key: "k", Value: "a,b"}, "1,0,k,a%2Cb\n"},
		{"newline and CR", Entry{Partition: 2, Offset: 9, Key: "k\n", Value: "x\r\ny"}, "2,9,k%0A,x%0D%0Ay\n"},
		{"percent", Entry{Partition: 0, Offset: 1, Key: "100%", Value: "%2C"}, "0,1,100%25,%252C\n"},
		{"empty key and value", Entry{Partition: 0, Offset: 3, Key: "", Value: ""}, "0,3,,\n"},
		{"a share group's delivery and ack", Entry{Partition: 0, Offset: 7, Key: "order-0007", Value: "v", Delivery: 3, Ack: "release"}, "0,7,order-0007,v,3,release\n"},
		{"unicode stays", Entry{Partition: 0, Offset: 4, Key: "ключ", Value: "café ☕"}, "0,4,ключ,café ☕\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := string(Format(nil, tt.e))
			if got != tt.line {
				t.Fatalf("Format = %q, want %q", got, tt.line)
			}
			back, err := ParseLine(strings.TrimSuffix(got, "\n"))
			if err != nil || back != tt.e {
				t.Fatalf("ParseLine = %+v, %v; want %+v", back, err, tt.e)
			}
		})
	}
}

func TestBadLinesNameTheirNumber(t *testing.T) {
	tests := []struct{ log, want string }{
		{"0,1,k,v\n0,x,k,v\n", "line 2: bad offset"},
		{"0,1,k\n", "line 1: want 4"},
		{"-1,1,k,v\n", "line 1: bad partition"},
		{"0,1,k,v,0,accept\n", "line 1: bad delivery count"},
		{"0,1,k,v,1\n", "line 1: want 4"},
		{"0,1,k%2,v\n", "line 1: key"},
		{"0,1,k,v%zz\n", "line 1: value"},
	}
	for _, tt := range tests {
		_, err := Read(strings.NewReader(tt.log))
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("Read(%q) = %v, want %q", tt.log, err, tt.want)
		}
	}
}

func TestAppendAppends(t *testing.T) {
	path := filepath.Join(t.TempDir(), "p.log")
	if err := os.WriteFile(path, []byte("0,0,a,b\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	w, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	for i := int64(1); i <= 3; i++ {
		if err := w.Append(Entry{Partition: 0, Offset: i, Key: "k,", Value: "v\n"}); err != nil {
			t.Fatal(err)
		}
	}
	w.Close()
	es, err := ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(es) != 4 || es[0].Key != "a" || es[3].Offset != 3 || es[3].Value != "v\n" {
		t.Fatalf("got %+v", es)
	}
}

func TestOpenUnwritable(t *testing.T) {
	file := filepath.Join(t.TempDir(), "f")
	os.WriteFile(file, nil, 0o644)
	if _, err := Open(filepath.Join(file, "x.log")); err == nil || !strings.Contains(err.Error(), "open processed log") {
		t.Fatalf("got %v", err)
	}
}
