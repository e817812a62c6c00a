package state

import (
	"encoding/json"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"testing"
	"time"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

func sampleState(id string) *State {
	return &State{
		Summary: Summary{
			State: specs.State{
				Version: specs.Version, ID: id, Status: specs.StateCreated, Pid: 4242,
				Bundle: "/bundle", Annotations: map[string]string{"a": "b"},
			},
			InitStartTime: 123456,
			Created:       time.Date(2025, 1, 2, 3, 4, 5, 6, time.UTC),
			Rootfs:        "/bundle/rootfs",
		},
		CgroupPaths:    map[string]string{"": "/sys/fs/cgroup/unified/x", "memory": "/sys/fs/cgroup/memory/x"},
		NamespacePaths: map[string]string{"network": "/proc/4242/ns/net"},
		Extra:          map[string]string{"k": "v"},
	}
}

func TestSaveLoad(t *testing.T) {
	s := newStore(t)
	d := create(t, s, "c1")
	want := sampleState("c1")
	for i := range 3 { // repeated saves replace the file
		want.Pid = 4242 + i
		if err := d.Save(want); err != nil {
			t.Fatal(err)
		}
	}
	got, err := d.Load()
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Load = %+v\nwant %+v", got, want)
	}
	assertOnly(t, d.Path, "state.json")

	data, err := os.ReadFile(filepath.Join(d.Path, "state.json"))
	if err != nil {
		t.Fatal(err)
	}
	if !json.Valid(data) {
		t.Errorf("state.json is not valid JSON: %s", data)
	}
	fi, err := os.Stat(filepath.Join(d.Path, "state.json"))
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("state.json mode %v, want 0600", fi.Mode().Perm())
	}

	// A reader with a shared lock (after the writer let go) sees the same.
	d.Close()
	r, err := s.Open("c1", false)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if got, err := r.Load(); err != nil || !reflect.DeepEqual(got, want) {
		t.Errorf("Load via shared Open = %+v, %v", got, err)
	}
}

func TestLoadMissing(t *testing.T) {
	s := newStore(t)
	d := create(t, s, "c1")
	if _, err := d.Load(); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("Load without state.json: %v, want fs.ErrNotExist", err)
	}
	if _, err := d.LoadConfig(); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("LoadConfig without config.json: %v, want fs.ErrNotExist", err)
	}
}

// TestLoadEmptyIsMissing: the state dir's files are not fsynced, so after a crash of the machine
// one may be empty; Load and LoadCreating take that for a missing file, while a file with
// anything in it that does not parse is still refused as it is.
func TestLoadEmptyIsMissing(t *testing.T) {
	s := newStore(t)
	d := create(t, s, "c1")
	for _, name := range []string{"state.json", "creating.json"} {
		if err := os.WriteFile(filepath.Join(d.Path, name), nil, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := d.Load(); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("Load of an empty state.json: %v, want fs.ErrNotExist", err)
	}
	if _, err := d.LoadCreating(); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("LoadCreating of an empty creating.json: %v, want fs.ErrNotExist", err)
	}
	if err := os.WriteFile(filepath.Join(d.Path, "state.json"), []byte("{"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := d.Load(); err == nil || errors.Is(err, fs.ErrNotExist) {
		t.Errorf("Load of a corrupt state.json: %v, want an error other than fs.ErrNotExist", err)
	}
}

func TestLoadRejects(t *testing.T) {
	tests := []struct {
		name string
		data string
	}{
		{"other container", `{"id":"c2"}`},
		{"corrupt", `{"id":"c1"`},
		{"bad id", `{"id":"../c1"}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newStore(t)
			d := create(t, s, "c1")
			if err := os.WriteFile(filepath.Join(d.Path, "state.json"), []byte(tt.data), 0o600); err != nil {
				t.Fatal(err)
			}
			if st, err := d.Load(); err == nil {
				t.Fatalf("Load accepted %s: %+v", tt.data, st)
			}
		})
	}
}

func TestLoadRefusesSymlink(t *testing.T) {
	s := newStore(t)
	d := create(t, s, "c1")
	other := filepath.Join(t.TempDir(), "state.json")
	data, _ := json.Marshal(sampleState("c1"))
	if err := os.WriteFile(other, data, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(other, filepath.Join(d.Path, "state.json")); err != nil {
		t.Fatal(err)
	}
	if _, err := d.Load(); err == nil {
		t.Fatal("Load followed a symlinked state.json")
	}
}

func TestSaveLoadConfig(t *testing.T) {
	s := newStore(t)
	d := create(t, s, "c1")
	want := &specs.Spec{
		Version:     specs.Version,
		Root:        &specs.Root{Path: "rootfs"},
		Process:     &specs.Process{Args: []string{"sh"}, Cwd: "/"},
		Hostname:    "h",
		Annotations: map[string]string{"io.contain.x": "y"},
	}
	if err := d.SaveConfig(want); err != nil {
		t.Fatal(err)
	}
	got, err := d.LoadConfig()
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("LoadConfig = %+v, want %+v", got, want)
	}
	assertOnly(t, d.Path, "config.json")
}

func TestRemove(t *testing.T) {
	s := newStore(t)
	d := create(t, s, "c1")
	if err := d.Save(sampleState("c1")); err != nil {
		t.Fatal(err)
	}
	if err := d.SaveConfig(&specs.Spec{}); err != nil {
		t.Fatal(err)
	}
	if err := unix.Mkfifo(d.FifoPath(), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := d.Remove(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Lstat(d.Path); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("dir still there: %v", err)
	}
	if err := d.Close(); err != nil {
		t.Errorf("Close after Remove: %v", err)
	}
	if _, err := s.Open("c1", false); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("Open after Remove: %v", err)
	}
	// The id is free again.
	create(t, s, "c1")
}

func TestClosedDir(t *testing.T) {
	s := newStore(t)
	d := create(t, s, "c1")
	d.Close()
	if err := d.Save(sampleState("c1")); !errors.Is(err, os.ErrClosed) {
		t.Errorf("Save after Close: %v", err)
	}
	if _, err := d.Load(); !errors.Is(err, os.ErrClosed) {
		t.Errorf("Load after Close: %v", err)
	}
	if err := d.Remove(); !errors.Is(err, os.ErrClosed) {
		t.Errorf("Remove after Close: %v", err)
	}
	var zero Dir
	if err := zero.Close(); err != nil {
		t.Errorf("Close of a zero Dir: %v", err)
	}
}

// assertOnly checks dir holds exactly the named entries: no temp files left behind.
func assertOnly(t *testing.T, dir string, names ...string) {
	t.Helper()
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range ents {
		got = append(got, e.Name())
	}
	if !reflect.DeepEqual(got, names) {
		t.Errorf("%s holds %q, want exactly %q", dir, got, names)
	}
}
