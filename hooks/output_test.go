package hooks

import (
	"strings"
	"testing"
)

func TestOutputTail(t *testing.T) {
	tests := []struct {
		name   string
		writes []string
		want   string
	}{
		{"empty", nil, ""},
		{"fits", []string{"ab", "cd"}, "abcd"},
		{"exactly max", []string{"0123456789"}, "0123456789"},
		{"one big write", []string{"xx0123456789"}, "[output truncated] ...0123456789"},
		{"many small writes", []string{"abc", "def", "ghi", "jkl"}, "[output truncated] ...cdefghijkl"},
		{"big after small", []string{"a", "0123456789"}, "[output truncated] ...0123456789"},
		{"trimmed", []string{"  hi\n"}, "hi"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := newOutputTail(10)
			for _, w := range tt.writes {
				if n, err := o.Write([]byte(w)); n != len(w) || err != nil {
					t.Fatalf("Write(%q) = %d, %v", w, n, err)
				}
			}
			if got := o.String(); got != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
			if len(o.buf) > 10 {
				t.Errorf("kept %d bytes, max 10", len(o.buf))
			}
		})
	}
}

func TestOutputTailBounded(t *testing.T) {
	o := newOutputTail(outputLimit)
	chunk := []byte(strings.Repeat("x", 1000))
	for range 1000 {
		o.Write(chunk)
	}
	if len(o.buf) != outputLimit || cap(o.buf) > 4*outputLimit {
		t.Errorf("buffer len %d cap %d after 1 MB of output", len(o.buf), cap(o.buf))
	}
}
