package state

import (
	"errors"
	"path/filepath"
	"strings"
	"testing"
)

func TestValidateID(t *testing.T) {
	tests := []struct {
		name string
		id   string
		ok   bool
	}{
		{"simple", "abc", true},
		{"all classes", "A-z_0.9+x", true},
		{"containerd sha", strings.Repeat("f", 64), true},
		{"max length", strings.Repeat("a", maxIDLen), true},
		{"leading dots", "..x", true},
		{"leading dash", "-x", true},
		{"empty", "", false},
		{"dot", ".", false},
		{"dotdot", "..", false},
		{"traversal", "../x", false},
		{"slash", "a/b", false},
		{"absolute", "/etc", false},
		{"trailing slash", "a/", false},
		{"too long", strings.Repeat("a", maxIDLen+1), false},
		{"unicode", "café", false},
		{"fullwidth solidus", "a\uff0fb", false},
		{"space", "a b", false},
		{"nul", "a\x00b", false},
		{"newline", "a\nb", false},
		{"colon", "a:b", false},
		{"tilde", "~a", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := ValidateID(tt.id)
			if (err == nil) != tt.ok {
				t.Fatalf("ValidateID(%q) = %v, want ok=%v", tt.id, err, tt.ok)
			}
			if err == nil {
				return
			}
			if !errors.Is(err, ErrInvalidID) {
				t.Errorf("error %v does not match ErrInvalidID", err)
			}
			if !strings.HasPrefix(err.Error(), "invalid container id ") {
				t.Errorf("error text %q lacks the `invalid container id` prefix", err)
			}
			if len(err.Error()) > 300 {
				t.Errorf("error text is %d bytes; a hostile id must not flood the log", len(err.Error()))
			}
		})
	}
}

func TestValidateIDErrorQuotesID(t *testing.T) {
	err := ValidateID("a/b")
	if want := `invalid container id "a/b": `; err == nil || !strings.HasPrefix(err.Error(), want) {
		t.Fatalf("got %v, want prefix %q", err, want)
	}
}

// FuzzValidateID checks the property the rest of contain relies on: an accepted id joined to
// the root names a direct child of the root, never the root, its parent or something deeper.
func FuzzValidateID(f *testing.F) {
	for _, s := range []string{"abc", "", ".", "..", "../x", "a/b", "..x", "a\x00", "é", "-", "+.+"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, id string) {
		if ValidateID(id) != nil {
			return
		}
		if id == "" || id == "." || id == ".." || strings.ContainsAny(id, "/\x00") || len(id) > maxIDLen {
			t.Fatalf("accepted %q", id)
		}
		if filepath.Base(id) != id || filepath.Clean(id) != id || !filepath.IsLocal(id) {
			t.Fatalf("accepted %q, which is not a single clean path element", id)
		}
		root := "/run/contain"
		if got := filepath.Dir(filepath.Join(root, id)); got != root {
			t.Fatalf("accepted %q: joined to %s its parent is %s", id, root, got)
		}
	})
}
