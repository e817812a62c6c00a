// Package ports finds the TCP ports a container's processes listen on, for the ports isolator
// (Mesos's network/ports): a container sharing the host's network namespace is given port
// ranges (io.contain.ports), and the monitor kills it when it listens outside them.
//
// This is reconciliation, not a security boundary, exactly as in Mesos. Nothing stops the
// container from binding any port; the monitor only notices, up to one interval later, and the
// port was the container's for that long. A socket handed to a process outside the container
// (SCM_RIGHTS) no longer counts, a socket received from outside does, and a port bound but not
// listening, or used for UDP, is never seen. Use a network namespace where isolation matters.
package ports

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	"github.com/contain-runtime/contain/spec"
)

// SocketInodes returns the inodes of the sockets process pid has open, read from
// /proc/<pid>/fd.
func SocketInodes(pid int) (map[uint64]bool, error) { return SocketInodesIn("/proc", pid) }

// SocketInodesIn is SocketInodes with procfs mounted at procRoot. Each open socket's fd is a
// link whose target reads "socket:[INODE]" (fs/proc/fd.c, via the sockfs dname), which
// matches the inode column of /proc/net/tcp.
func SocketInodesIn(procRoot string, pid int) (map[uint64]bool, error) {
	dir := filepath.Join(procRoot, strconv.Itoa(pid), "fd")
	ents, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("list fds of %d: %w", pid, err)
	}
	inodes := map[uint64]bool{}
	for _, e := range ents {
		target, err := os.Readlink(filepath.Join(dir, e.Name()))
		if err != nil {
			continue // closed since the listing
		}
		if n, ok := socketInode(target); ok {
			inodes[n] = true
		}
	}
	return inodes, nil
}

func socketInode(link string) (uint64, bool) {
	s, ok := strings.CutPrefix(link, "socket:[")
	if !ok {
		return 0, false
	}
	s, ok = strings.CutSuffix(s, "]")
	if !ok {
		return 0, false
	}
	n, err := strconv.ParseUint(s, 10, 64)
	return n, err == nil
}

// Listening returns the TCP ports, sorted and without repeats, on which the processes pids
// hold a listening socket, with procfs at procRoot ("/proc").
//
// /proc/<pid>/net/tcp{,6} lists every socket of pid's network namespace, not only pid's: for
// a container in the host's namespace that is every socket of the host. So the rows are
// matched against the socket inodes the container's processes have open. The tables are read
// through the first pid still alive, so they show that process's namespace (which for the
// containers this isolator is for is the host's).
//
// Processes that exit during the scan are skipped; if all of them have, Listening returns no
// ports and no error.
func Listening(pids []int, procRoot string) ([]uint16, error) {
	inodes := map[uint64]bool{}
	var alive []int
	for _, pid := range pids {
		in, err := SocketInodesIn(procRoot, pid)
		if err != nil {
			if errors.Is(err, os.ErrNotExist) {
				continue // exited
			}
			return nil, err
		}
		alive = append(alive, pid)
		for n := range in {
			inodes[n] = true
		}
	}
	if len(inodes) == 0 {
		return nil, nil
	}
	for _, pid := range alive {
		socks, err := netTCP(procRoot, pid)
		if errors.Is(err, os.ErrNotExist) {
			continue // exited since its fds were read
		}
		if err != nil {
			return nil, err
		}
		seen := map[uint16]bool{}
		var out []uint16
		for _, s := range socks {
			if s.State == StateListen && inodes[s.Inode] && !seen[s.LocalPort] {
				seen[s.LocalPort] = true
				out = append(out, s.LocalPort)
			}
		}
		sort.Slice(out, func(i, j int) bool { return out[i] < out[j] })
		return out, nil
	}
	return nil, nil
}

// netTCP reads and parses /proc/<pid>/net/tcp and tcp6. A missing tcp6 is a kernel without
// IPv6, not an error; a missing tcp is a process that exited (os.ErrNotExist).
func netTCP(procRoot string, pid int) ([]Socket, error) {
	var all []Socket
	for _, name := range []string{"tcp", "tcp6"} {
		p := filepath.Join(procRoot, strconv.Itoa(pid), "net", name)
		f, err := os.Open(p)
		if err != nil {
			if name == "tcp6" && errors.Is(err, os.ErrNotExist) {
				continue
			}
			return nil, err
		}
		socks, err := ParseProcNetTCP(f)
		f.Close()
		if err != nil {
			return nil, fmt.Errorf("%s: %w", p, err)
		}
		all = append(all, socks...)
	}
	return all, nil
}

// Violations returns the ports of listening that the container may not use: inside filter
// (nil: every port is checked, as Mesos without --check_agent_port_range_only) and outside
// allocated. The result is sorted, without repeats.
func Violations(listening []uint16, allocated, filter spec.PortRanges) []uint16 {
	seen := map[uint16]bool{}
	var out []uint16
	for _, p := range listening {
		if seen[p] || (filter != nil && !filter.Contains(p)) || allocated.Contains(p) {
			continue
		}
		seen[p] = true
		out = append(out, p)
	}
	sort.Slice(out, func(i, j int) bool { return out[i] < out[j] })
	return out
}
