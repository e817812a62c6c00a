package state

import (
	"bufio"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

func newStore(t *testing.T) *Store {
	t.Helper()
	s, err := NewStore(filepath.Join(t.TempDir(), "root"))
	if err != nil {
		t.Fatal(err)
	}
	// As after a first create: the tests below work in an existing root.
	if err := os.Mkdir(s.Root, 0o700); err != nil {
		t.Fatal(err)
	}
	return s
}

func create(t *testing.T, s *Store, id string) *Dir {
	t.Helper()
	d, err := s.Create(id)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })
	return d
}

func TestNewStore(t *testing.T) {
	tests := []struct {
		name string
		root string
		ok   bool
	}{
		{"absolute", filepath.Join(t.TempDir(), "a", "b"), true},
		{"unclean absolute", t.TempDir() + "/x/../y/", true},
		{"relative", "run/contain", false},
		{"empty", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := NewStore(tt.root)
			if (err == nil) != tt.ok {
				t.Fatalf("NewStore(%q) = %v, want ok=%v", tt.root, err, tt.ok)
			}
			if err != nil {
				if !strings.Contains(err.Error(), "absolute") {
					t.Errorf("error %q does not say the root must be absolute", err)
				}
				return
			}
			if _, err := os.Stat(s.Root); !errors.Is(err, fs.ErrNotExist) {
				t.Fatalf("NewStore made the root (%v): only the first Create may", err)
			}
			create(t, s, "first")
			fi, err := os.Stat(s.Root)
			if err != nil {
				t.Fatal(err)
			}
			if !fi.IsDir() || fi.Mode().Perm() != 0o700 {
				t.Errorf("root mode = %v, want dir 0700", fi.Mode())
			}
		})
	}
}

func TestCreate(t *testing.T) {
	s := newStore(t)
	d := create(t, s, "c1")
	if d.ID != "c1" || d.Path != filepath.Join(s.Root, "c1") {
		t.Errorf("got Dir{%q, %q}", d.ID, d.Path)
	}
	if !d.Exclusive() {
		t.Error("Create did not return an exclusive lock")
	}
	fi, err := os.Stat(d.Path)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o711 {
		t.Errorf("dir mode = %v, want 0711", fi.Mode().Perm())
	}
	if got := d.FifoPath(); got != filepath.Join(d.Path, "exec.fifo") {
		t.Errorf("FifoPath = %q", got)
	}
	if !lockedBy(t, d.Path, unix.LOCK_SH) {
		t.Error("a new dir can be share-locked while Create holds it")
	}
	// The lock fd must not leak into children (containers, hooks).
	flags, err := unix.FcntlInt(uintptr(d.fd), unix.F_GETFD, 0)
	if err != nil {
		t.Fatal(err)
	}
	if flags&unix.FD_CLOEXEC == 0 {
		t.Error("lock fd is not close-on-exec")
	}
}

func TestCreateDuplicate(t *testing.T) {
	s := newStore(t)
	create(t, s, "c1")
	_, err := s.Create("c1")
	if !errors.Is(err, fs.ErrExist) {
		t.Fatalf("duplicate create: %v, want fs.ErrExist", err)
	}
}

func TestCreateOpenInvalidID(t *testing.T) {
	s := newStore(t)
	for _, id := range []string{"", ".", "..", "../x", "a/b"} {
		if _, err := s.Create(id); !errors.Is(err, ErrInvalidID) {
			t.Errorf("Create(%q) = %v, want ErrInvalidID", id, err)
		}
		if _, err := s.Open(id, false); !errors.Is(err, ErrInvalidID) {
			t.Errorf("Open(%q) = %v, want ErrInvalidID", id, err)
		}
	}
	if ents, _ := os.ReadDir(s.Root); len(ents) != 0 {
		t.Errorf("invalid ids left entries in the root: %v", ents)
	}
	if ents, _ := os.ReadDir(filepath.Dir(s.Root)); len(ents) != 1 {
		t.Errorf("invalid ids touched the root's parent: %v", ents)
	}
}

func TestOpenMissing(t *testing.T) {
	s := newStore(t)
	_, err := s.Open("nope", false)
	if !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("Open missing: %v, want fs.ErrNotExist", err)
	}
}

func TestOpenSymlinkRefused(t *testing.T) {
	s := newStore(t)
	target := t.TempDir()
	if err := os.Symlink(target, filepath.Join(s.Root, "evil")); err != nil {
		t.Fatal(err)
	}
	if d, err := s.Open("evil", true); err == nil {
		d.Close()
		t.Fatal("Open followed a symlink in the state root")
	}
}

func TestOpenLocks(t *testing.T) {
	s := newStore(t)
	create(t, s, "c1").Close()
	tests := []struct {
		name      string
		exclusive bool
		// whether a shared / exclusive lock can still be taken by someone else
		sharedFree, exclusiveFree bool
	}{
		{"shared", false, true, false},
		{"exclusive", true, false, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d, err := s.Open("c1", tt.exclusive)
			if err != nil {
				t.Fatal(err)
			}
			defer d.Close()
			if d.Exclusive() != tt.exclusive {
				t.Errorf("Exclusive() = %v", d.Exclusive())
			}
			if got := !lockedBy(t, d.Path, unix.LOCK_SH); got != tt.sharedFree {
				t.Errorf("shared lock free = %v, want %v", got, tt.sharedFree)
			}
			if got := !lockedBy(t, d.Path, unix.LOCK_EX); got != tt.exclusiveFree {
				t.Errorf("exclusive lock free = %v, want %v", got, tt.exclusiveFree)
			}
			if err := d.Close(); err != nil {
				t.Fatal(err)
			}
			if err := d.Close(); err != nil {
				t.Errorf("second Close: %v", err)
			}
			if lockedBy(t, d.Path, unix.LOCK_EX) {
				t.Error("lock still held after Close")
			}
		})
	}
}

// TestOpenWaitsForExclusive: a second exclusive Open blocks until the first is closed. The
// waiter is seen blocked in /proc/locks, and it records whether the holder had already let go
// when it got the lock, so nothing depends on timing.
func TestOpenWaitsForExclusive(t *testing.T) {
	s := newStore(t)
	d1 := create(t, s, "c1")
	var released atomic.Bool
	type result struct {
		d             *Dir
		err           error
		afterReleased bool
	}
	got := make(chan result, 1)
	go func() {
		d, err := s.Open("c1", true)
		got <- result{d, err, released.Load()}
	}()
	waitForLockWaiter(t, d1.Path)
	select {
	case r := <-got:
		t.Fatalf("second exclusive Open returned while the first was held: %v", r.err)
	default:
	}
	released.Store(true)
	d1.Close()
	select {
	case r := <-got:
		if r.err != nil {
			t.Fatal(r.err)
		}
		defer r.d.Close()
		if !r.afterReleased {
			t.Error("second Open got the lock before the first was released")
		}
	case <-time.After(10 * time.Second):
		t.Fatal("second Open still blocked 10s after Close")
	}
}

// TestOpenAfterRemove: whoever waited for the lock of a container that got deleted meanwhile
// must be told it does not exist, not be handed the unlinked directory.
func TestOpenAfterRemove(t *testing.T) {
	for _, exclusive := range []bool{false, true} {
		t.Run("exclusive="+strconv.FormatBool(exclusive), func(t *testing.T) {
			s := newStore(t)
			d1 := create(t, s, "c1")
			errc := make(chan error, 1)
			go func() {
				d, err := s.Open("c1", exclusive)
				if err == nil {
					d.Close()
				}
				errc <- err
			}()
			waitForLockWaiter(t, d1.Path)
			if err := d1.Remove(); err != nil {
				t.Fatal(err)
			}
			select {
			case err := <-errc:
				if !errors.Is(err, fs.ErrNotExist) {
					t.Fatalf("Open after remove: %v, want fs.ErrNotExist", err)
				}
			case <-time.After(10 * time.Second):
				t.Fatal("Open still blocked 10s after Remove")
			}
			if _, err := os.Stat(d1.Path); !errors.Is(err, fs.ErrNotExist) {
				t.Errorf("dir still there after Remove: %v", err)
			}
		})
	}
}

// TestOpenAfterReplace: the dir was deleted and made again under the same id while we waited;
// Open must end up holding the new directory, not the unlinked old one.
func TestOpenAfterReplace(t *testing.T) {
	s := newStore(t)
	d1 := create(t, s, "c1")
	got := make(chan *Dir, 1)
	errc := make(chan error, 1)
	go func() {
		d, err := s.Open("c1", false)
		if err != nil {
			errc <- err
			return
		}
		got <- d
	}()
	waitForLockWaiter(t, d1.Path)
	if err := os.Rename(d1.Path, d1.Path+".old"); err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(d1.Path, 0o711); err != nil {
		t.Fatal(err)
	}
	d1.Close()
	select {
	case d := <-got:
		defer d.Close()
		var held, now unix.Stat_t
		if err := unix.Fstat(d.fd, &held); err != nil {
			t.Fatal(err)
		}
		if err := unix.Stat(d1.Path, &now); err != nil {
			t.Fatal(err)
		}
		if held.Ino != now.Ino {
			t.Error("Open holds the replaced directory, not the current one")
		}
	case err := <-errc:
		t.Fatal(err)
	case <-time.After(10 * time.Second):
		t.Fatal("Open still blocked 10s after Close")
	}
}

func TestRemoveNeedsExclusive(t *testing.T) {
	s := newStore(t)
	create(t, s, "c1").Close()
	d, err := s.Open("c1", false)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	if err := d.Remove(); err == nil {
		t.Fatal("Remove under a shared lock succeeded")
	}
	if err := d.Save(&State{}); err == nil {
		t.Fatal("Save under a shared lock succeeded")
	}
	if _, err := os.Stat(d.Path); err != nil {
		t.Fatalf("dir gone after refused Remove: %v", err)
	}
}

func TestList(t *testing.T) {
	s := newStore(t)
	for _, id := range []string{"b", "a", "c-1"} {
		create(t, s, id).Close()
	}
	// Strays: a file, a symlink to a dir, and dirs whose names are not ids.
	if err := os.WriteFile(filepath.Join(s.Root, "file"), nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(t.TempDir(), filepath.Join(s.Root, "link")); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"bad name", "~tmp", "café"} {
		if err := os.Mkdir(filepath.Join(s.Root, name), 0o700); err != nil {
			t.Fatal(err)
		}
	}
	ids, err := s.List()
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"a", "b", "c-1"}; !reflect.DeepEqual(ids, want) {
		t.Errorf("List = %q, want %q", ids, want)
	}
}

func TestListMissingRoot(t *testing.T) {
	s := &Store{Root: filepath.Join(t.TempDir(), "gone")}
	ids, err := s.List()
	if err != nil || ids == nil || len(ids) != 0 {
		t.Fatalf("List = %q, %v; want an empty list", ids, err)
	}
}

// lockedBy reports whether another open file description cannot take a lock of kind how on
// path right now (flock locks belong to open file descriptions, so this behaves like another
// process).
func lockedBy(t *testing.T, path string, how int) bool {
	t.Helper()
	fd, err := unix.Open(path, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer unix.Close(fd)
	err = unix.Flock(fd, how|unix.LOCK_NB)
	if errors.Is(err, unix.EWOULDBLOCK) {
		return true
	}
	if err != nil {
		t.Fatal(err)
	}
	return false
}

// waitForLockWaiter polls /proc/locks until some process waits for a flock on path's inode, so a
// test knows its goroutine is blocked in flock(2) and not merely slow to start.
func waitForLockWaiter(t *testing.T, path string) {
	t.Helper()
	var st unix.Stat_t
	if err := unix.Stat(path, &st); err != nil {
		t.Fatal(err)
	}
	// /proc/locks prints the file as major:minor:inode, the device numbers in hex.
	want := fmt.Sprintf("%02x:%02x:%d", unix.Major(st.Dev), unix.Minor(st.Dev), st.Ino)
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		f, err := os.Open("/proc/locks")
		if err != nil {
			t.Skipf("cannot see lock waiters: %v", err)
		}
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			// "1: -> FLOCK  ADVISORY  WRITE 1234 fe:00:9985898 0 EOF"
			fields := strings.Fields(sc.Text())
			if len(fields) >= 7 && fields[1] == "->" && fields[2] == "FLOCK" && fields[6] == want {
				f.Close()
				return
			}
		}
		f.Close()
		time.Sleep(5 * time.Millisecond)
	}
	t.Fatal("no process waited for the lock within 10s")
}
