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
		{"plain", Entry{0, 7, "order-0007", "2 x latte for table 3"}, "0,7,order-0007,2 x latte for table 3\n"},
		{"comma in value", Entry{1, 0, "k", "a,b"}, "1,0,k,a%2Cb\n"},
		{"newline and CR", Entry{2, 9, "k\n", "x\r\ny"}, "2,9,k%0A,x%0D%0Ay\n"},
		{"percent", Entry{0, 1, "100%", "%2C"}, "0,1,100%25,%252C\n"},
		{"empty key and value", Entry{0, 3, "", ""}, "0,3,,\n"},
		{"unicode stays", Entry{0, 4, "ключ", "café ☕"}, "0,4,ключ,café ☕\n"},
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
		if err := w.Append(Entry{0, i, "k,", "v\n"}); err != nil {
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
