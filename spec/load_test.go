package spec

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestLoad(t *testing.T) {
	tests := []struct {
		name    string
		content *string // nil: no config.json at all
		want    string  // substring of the error; "" means success
	}{
		{name: "missing", content: nil, want: "JSON specification file config.json not found"},
		{name: "malformed", content: ptr(`{"ociVersion": "1.0.0",`), want: "parse config.json: unexpected end of JSON input"},
		{name: "wrong type", content: ptr(`{"process": {"args": "sh"}}`), want: "parse config.json: json: cannot unmarshal string"},
		{name: "trailing garbage", content: ptr(`{} x`), want: "parse config.json: invalid character 'x'"},
		{name: "unknown fields ignored", content: ptr(`{"ociVersion": "1.0.0", "fromTheFuture": {"a": 1}}`)},
		{name: "empty object", content: ptr(`{}`)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			bundle := t.TempDir()
			if tt.content != nil {
				if err := os.WriteFile(filepath.Join(bundle, ConfigFile), []byte(*tt.content), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			s, err := Load(bundle)
			if tt.want == "" {
				if err != nil || s == nil {
					t.Fatalf("Load = %v, %v", s, err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("Load error = %v, want it to contain %q", err, tt.want)
			}
			if strings.Contains(err.Error(), "\n") {
				t.Errorf("Load error %q is not one line", err)
			}
		})
	}
	t.Run("missing unwraps to ErrNotExist", func(t *testing.T) {
		if _, err := Load(t.TempDir()); !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("Load error %v does not match fs.ErrNotExist", err)
		}
	})
	t.Run("runc spec", func(t *testing.T) {
		b, err := os.ReadFile("testdata/runc-spec.json")
		if err != nil {
			t.Fatal(err)
		}
		s, err := Parse(b)
		if err != nil {
			t.Fatal(err)
		}
		if s.Version != "1.0.2-dev" || s.Root.Path != "rootfs" || len(s.Mounts) != 7 {
			t.Errorf("parsed runc spec = version %q root %q %d mounts", s.Version, s.Root.Path, len(s.Mounts))
		}
	})
}

func FuzzParse(f *testing.F) {
	for _, name := range []string{"runc-spec.json", "containerd-spec.json", "podman-spec.json"} {
		b, err := os.ReadFile(filepath.Join("testdata", name))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte(`{"linux": {"resources": {"memory": {"limit": -2}}, "sysctl": {"../x": "1"}}}`))
	f.Add([]byte(`null`))
	bundle := f.TempDir() // shared: Validate only reads the bundle
	f.Fuzz(func(t *testing.T, b []byte) {
		s, err := Parse(b)
		if err != nil {
			if strings.Contains(err.Error(), "\n") || !strings.HasPrefix(err.Error(), "parse config.json: ") {
				t.Fatalf("Parse error %q: want one line starting with %q", err, "parse config.json: ")
			}
			return
		}
		// Whatever parses must be safe to validate: no nil dereference on any missing part.
		_ = Validate(s, bundle)
	})
}

func ptr[T any](v T) *T { return &v }
