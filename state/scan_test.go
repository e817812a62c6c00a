package state

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

func openScan(t *testing.T, s *Store) *Scan {
	t.Helper()
	sc, err := s.OpenScan()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sc.Close() })
	return sc
}

// bothOpens runs f with a Scan that opens with openat2 and one that opens in two steps, as
// where openat2 fails with ENOSYS or EPERM.
func bothOpens(t *testing.T, s *Store, f func(t *testing.T, sc *Scan)) {
	for _, twoSteps := range []bool{false, true} {
		t.Run(map[bool]string{false: "openat2", true: "two steps"}[twoSteps], func(t *testing.T) {
			sc := openScan(t, s)
			sc.noOpenat2.Store(twoSteps)
			f(t, sc)
		})
	}
}

// peekWithin is Peek's error, failing the test if Peek has not returned after 5s (waiting for a
// lock, or for a writer to open a FIFO).
func peekWithin(t *testing.T, sc *Scan, id string) error {
	t.Helper()
	done := make(chan error, 1)
	go func() {
		pk, err := sc.Peek(id)
		if err == nil {
			_, err = pk.Summary()
		}
		done <- err
	}()
	select {
	case err := <-done:
		return err
	case <-time.After(5 * time.Second):
		t.Fatalf("Peek(%s) still waits after 5s", id)
		return nil
	}
}

// TestPeek: Peek reads what Load reads, all of it or only the Summary, and names the file.
func TestPeek(t *testing.T) {
	s := newStore(t)
	d := create(t, s, "c1")
	want := sampleState("c1")
	if err := d.Save(want); err != nil {
		t.Fatal(err)
	}
	sc := openScan(t, s)
	pk, err := sc.Peek("c1")
	if err != nil {
		t.Fatal(err)
	}
	if full, err := pk.State(); err != nil || !reflect.DeepEqual(full, want) {
		t.Fatalf("Peek's State = %+v, %v\nwant %+v", full, err, want)
	}
	brief, err := pk.Summary()
	if err != nil {
		t.Fatal(err)
	}
	if wantBrief := (&State{Summary: want.Summary}); !reflect.DeepEqual(brief, wantBrief) {
		t.Errorf("Peek's Summary = %+v\nwant %+v", brief, wantBrief)
	}
	id1 := pk.File
	if now, err := sc.StateFileID("c1"); err != nil || now != id1 {
		t.Errorf("StateFileID = %v, %v; want %v (nothing saved since)", now, err, id1)
	}
	if err := d.Save(want); err != nil {
		t.Fatal(err)
	}
	if now, err := sc.StateFileID("c1"); err != nil || now == id1 {
		t.Errorf("StateFileID after a save = %v, %v; want other than %v", now, err, id1)
	}
	if pk, err := sc.Peek("c1"); err != nil || pk.File == id1 {
		t.Errorf("Peek after a save: %v; want a file other than %v", err, id1)
	}
}

// TestPeekMissing: a dir without state.json (a create still running, which holds the dir's lock
// all along), one whose state.json is empty, and a dir deleted, read as fs.ErrNotExist — at once,
// without waiting for the lock.
func TestPeekMissing(t *testing.T) {
	s := newStore(t)
	create(t, s, "half") // stays locked exclusively, as by a create in progress
	empty := create(t, s, "empty")
	if err := os.WriteFile(filepath.Join(empty.Path, stateFile), nil, 0o600); err != nil {
		t.Fatal(err)
	}
	gone := create(t, s, "gone")
	if err := gone.Save(sampleState("gone")); err != nil {
		t.Fatal(err)
	}
	if err := gone.Remove(); err != nil {
		t.Fatal(err)
	}
	bothOpens(t, s, func(t *testing.T, sc *Scan) {
		for _, id := range []string{"half", "empty", "gone"} {
			if err := peekWithin(t, sc, id); !errors.Is(err, fs.ErrNotExist) {
				t.Errorf("Peek(%s) = %v, want fs.ErrNotExist", id, err)
			}
		}
		if _, err := sc.StateFileID("gone"); !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("StateFileID of a deleted container = %v, want fs.ErrNotExist", err)
		}
	})
}

// TestPeekRefuses: what is planted in the root is not followed or waited on, and a state.json
// naming another container is refused, as Load refuses them.
func TestPeekRefuses(t *testing.T) {
	s := newStore(t)
	elsewhere := create(t, s, "real")
	if err := elsewhere.Save(sampleState("real")); err != nil {
		t.Fatal(err)
	}
	// A symlinked container dir, and a symlinked state.json, each to a valid state of its id
	// outside the dir it should be in.
	outside, err := (&Store{Root: t.TempDir()}).Create("link")
	if err != nil {
		t.Fatal(err)
	}
	defer outside.Close()
	if err := outside.Save(sampleState("link")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(outside.Path, filepath.Join(s.Root, "link")); err != nil {
		t.Fatal(err)
	}
	inner := create(t, s, "inner")
	if err := os.WriteFile(filepath.Join(elsewhere.Path, "inner.json"), []byte(`{"id":"inner"}`), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(filepath.Join(elsewhere.Path, "inner.json"), filepath.Join(inner.Path, stateFile)); err != nil {
		t.Fatal(err)
	}
	fifo := create(t, s, "fifo")
	if err := unix.Mkfifo(filepath.Join(fifo.Path, stateFile), 0o600); err != nil {
		t.Fatal(err)
	}
	other := create(t, s, "other")
	if err := other.Save(sampleState("someone-else")); err != nil {
		t.Fatal(err)
	}
	bothOpens(t, s, func(t *testing.T, sc *Scan) {
		// A dir replaced by a symlink may also read as gone (the two-step open says ENOTDIR
		// for it, as for a stray file); it is never followed.
		if err := peekWithin(t, sc, "link"); err == nil {
			t.Errorf("Peek(link) read the state a symlinked dir points to")
		}
		for _, id := range []string{"inner", "fifo", "other"} {
			if err := peekWithin(t, sc, id); err == nil || errors.Is(err, fs.ErrNotExist) {
				t.Errorf("Peek(%s) = %v, want a refusal", id, err)
			}
		}
		if _, err := sc.Peek("../real"); err == nil {
			t.Error("Peek of an invalid id succeeded")
		}
		if pk, err := sc.Peek("real"); err != nil || pk.File == (FileID{}) {
			t.Errorf("Peek(real) = %v, want its state", err)
		}
	})
}

// TestPeekDuringSaves: a reader without the lock sees a whole state.json at every moment while a
// writer replaces it over and over with files of other sizes (writes are renames).
func TestPeekDuringSaves(t *testing.T) {
	s := newStore(t)
	d := create(t, s, "c1")
	st := sampleState("c1")
	st.Bundle = "/"
	if err := d.Save(st); err != nil {
		t.Fatal(err)
	}
	sc := openScan(t, s)
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			default:
			}
			next := sampleState("c1")
			next.Bundle = "/" + strings.Repeat("b", i%4000)
			if err := d.Save(next); err != nil {
				t.Error(err)
				return
			}
		}
	})
	deadline := time.Now().Add(500 * time.Millisecond)
	n := 0
	for ; time.Now().Before(deadline); n++ {
		pk, err := sc.Peek("c1")
		var got *State
		if err == nil && n%2 == 0 {
			got, err = pk.State()
		} else if err == nil {
			got, err = pk.Summary()
		}
		if err != nil {
			t.Errorf("Peek during saves: %v", err)
			break
		}
		if strings.Trim(got.Bundle, "/b") != "" || got.Rootfs != st.Rootfs {
			t.Errorf("Peek during saves read %q, %q", got.Bundle, got.Rootfs)
			break
		}
	}
	close(stop)
	wg.Wait()
	t.Logf("%d reads", n)
}
