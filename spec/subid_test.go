package spec

import (
	"fmt"
	"testing"
)

func TestParseSubIDs(t *testing.T) {
	file := []byte(`# comment
alice:100000:65536
bob:165536:65536
1001:300000:10
alice:500000:5
alice:bad:5
alice:600000:0
alice:4294967295:2
 alice:700000:1 
carol:1:2:3
`)
	for _, tt := range []struct {
		name string
		id   uint32
		want string
	}{
		{"alice", 1000, "[{100000 65536} {500000 5} {700000 1}]"},
		{"bob", 1001, "[{165536 65536} {300000 10}]"},
		{"dave", 1002, "[]"},
		{"", 0, "[]"},
	} {
		if got := fmt.Sprint(ParseSubIDs(file, tt.name, tt.id)); got != tt.want && !(got == "[]" && tt.want == "[]") {
			t.Errorf("%s/%d: %s, want %s", tt.name, tt.id, got, tt.want)
		}
	}
}

func TestRootlessMappings(t *testing.T) {
	m, err := RootlessMappings(1000, []SubIDRange{{100000, 65536}, {500000, 5}})
	if err != nil {
		t.Fatal(err)
	}
	if got := fmt.Sprint(m); got != "[{0 1000 1} {1 100000 65536} {65537 500000 5}]" {
		t.Errorf("mappings %s", got)
	}
	if m, _ := RootlessMappings(7, nil); fmt.Sprint(m) != "[{0 7 1}]" {
		t.Errorf("no ranges: %v", m)
	}
	if _, err := RootlessMappings(1, []SubIDRange{{0, 1 << 31}, {0, 1 << 31}}); err == nil {
		t.Error("ranges beyond 2^32-1 ids accepted")
	}
}

func FuzzParseSubIDs(f *testing.F) {
	f.Add([]byte("a:1:2\n"), "a", uint32(5))
	f.Fuzz(func(t *testing.T, b []byte, name string, id uint32) {
		for _, r := range ParseSubIDs(b, name, id) {
			if r.Count == 0 || uint64(r.Start)+uint64(r.Count) > 1<<32 {
				t.Fatalf("bad range %+v", r)
			}
		}
	})
}
