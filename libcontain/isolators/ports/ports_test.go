package ports

import (
	"bufio"
	"encoding/binary"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/contain-runtime/contain/spec"
)

// The samples in testdata were captured from this machine's /proc/net/tcp and tcp6 with
// listeners on 127.0.0.1:31001, 0.0.0.0:8080, [::1]:31002 and [::]:40000 and one connection
// to each of three of them (an IPv4 client to [::]:40000 shows as v4-mapped in tcp6).
func open(t *testing.T, name string) *os.File {
	t.Helper()
	f, err := os.Open(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	return f
}

func littleEndian() bool {
	var b [2]byte
	binary.NativeEndian.PutUint16(b[:], 1)
	return b[0] == 1
}

func TestParseProcNetTCPSamples(t *testing.T) {
	if !littleEndian() {
		t.Skip("the samples were captured on a little-endian machine; /proc/net/tcp prints addresses in native order")
	}
	tests := []struct {
		file string
		want []Socket
	}{
		{"tcp", []Socket{
			{net.IPv4(0, 0, 0, 0).To4(), 2024, StateListen, 583},
			{net.IPv4(127, 0, 0, 1).To4(), 31001, StateListen, 267546},
			{net.IPv4(0, 0, 0, 0).To4(), 8080, StateListen, 267547},
			{net.IPv4(127, 0, 0, 1).To4(), 33098, 1, 267554},
			{net.IPv4(127, 0, 0, 1).To4(), 31001, 1, 267551},
			{net.IPv4(127, 0, 0, 1).To4(), 51970, 1, 267550},
		}},
		{"tcp6", []Socket{
			{net.IPv6loopback, 31002, StateListen, 267548},
			{net.IPv6unspecified, 40000, StateListen, 267549},
			{net.IPv6loopback, 31002, 1, 267553},
			{net.IPv6loopback, 53180, 1, 267552},
			{net.ParseIP("::ffff:127.0.0.1"), 40000, 1, 267555},
		}},
	}
	for _, tc := range tests {
		t.Run(tc.file, func(t *testing.T) {
			got, err := ParseProcNetTCP(open(t, tc.file))
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Fatalf("got  %+v\nwant %+v", got, tc.want)
			}
		})
	}
}

func TestParseProcNetTCPErrors(t *testing.T) {
	const hdr = "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n"
	const good = "   0: 0100007F:7919 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 267546 1 0000000000000000 100 0 0 10 0\n"
	tests := []struct {
		name, in string
		ok       bool
		want     int
	}{
		{"empty", "", true, 0},
		{"header only", hdr, true, 0},
		{"no header", good, true, 1},
		{"blank lines", hdr + "\n" + good + "\n\n", true, 1},
		{"short row", hdr + "   0: 0100007F:7919 00000000:0000 0A\n", false, 0},
		{"no slot colon", hdr + strings.Replace(good, "0:", "0 ", 1), false, 0},
		{"bad address", hdr + strings.Replace(good, "0100007F:7919", "0100007G:7919", 1), false, 0},
		{"odd address length", hdr + strings.Replace(good, "0100007F:7919", "100007F:7919", 1), false, 0},
		{"no port", hdr + strings.Replace(good, "0100007F:7919", "0100007F", 1), false, 0},
		{"short port", hdr + strings.Replace(good, "0100007F:7919", "0100007F:919", 1), false, 0},
		{"bad remote", hdr + strings.Replace(good, "00000000:0000", "zz:0000", 1), false, 0},
		{"bad state", hdr + strings.Replace(good, " 0A ", " 0X ", 1), false, 0},
		{"long state", hdr + strings.Replace(good, " 0A ", " 00A ", 1), false, 0},
		{"bad inode", hdr + strings.Replace(good, "267546", "-1", 1), false, 0},
		{"second header", hdr + good + hdr, false, 0},
		{"huge line", hdr + strings.Repeat("x", maxLineLen+1), false, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ParseProcNetTCP(strings.NewReader(tc.in))
			if (err == nil) != tc.ok || len(got) != tc.want {
				t.Fatalf("ParseProcNetTCP = %d sockets, %v; want %d, ok=%v", len(got), err, tc.want, tc.ok)
			}
		})
	}
}

func FuzzParseProcNetTCP(f *testing.F) {
	for _, name := range []string{"tcp", "tcp6"} {
		b, err := os.ReadFile(filepath.Join("testdata", name))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte("   0: 0100007F:7919 00000000:0000 0A 0 0 0 0 0 1\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		socks, err := ParseProcNetTCP(strings.NewReader(string(b)))
		if err != nil {
			return
		}
		for _, s := range socks {
			if len(s.LocalIP) != net.IPv4len && len(s.LocalIP) != net.IPv6len {
				t.Fatalf("address of %d bytes: %+v", len(s.LocalIP), s)
			}
		}
	})
}

func ranges(t *testing.T, s string) spec.PortRanges {
	t.Helper()
	r, err := spec.ParsePortRanges(s)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func TestViolations(t *testing.T) {
	alloc := ranges(t, "8080,31000-31005")
	tests := []struct {
		name      string
		listening []uint16
		filter    spec.PortRanges
		want      []uint16
	}{
		{"none listening", nil, nil, nil},
		{"all allocated", []uint16{8080, 31000, 31005}, nil, nil},
		{"one outside", []uint16{31006, 8080, 22}, nil, []uint16{22, 31006}},
		{"repeats", []uint16{22, 22}, nil, []uint16{22}},
		{"outside the filter ignored", []uint16{22, 31006}, ranges(t, "30000-32000"), []uint16{31006}},
		{"empty filter checks nothing", []uint16{22}, spec.PortRanges{}, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := Violations(tc.listening, alloc, tc.filter); !reflect.DeepEqual(got, tc.want) {
				t.Fatalf("Violations = %v, want %v", got, tc.want)
			}
		})
	}
	if got := Violations([]uint16{80}, spec.PortRanges{}, nil); !reflect.DeepEqual(got, []uint16{80}) {
		t.Fatalf("nothing allocated: %v", got)
	}
}

// TestListeningFakeProc runs Listening over a made-up procfs: process 10 holds the sockets
// 267546 (LISTEN :31001) and 267551 (an accepted connection on :31001), process 11 holds
// 267549 (LISTEN [::]:40000); 267547 (LISTEN :8080) is nobody's in the container.
func TestListeningFakeProc(t *testing.T) {
	proc := t.TempDir()
	fds := map[int][]string{
		10: {"socket:[267546]", "socket:[267551]", "/dev/null", "pipe:[5]", "anon_inode:[eventfd]"},
		11: {"socket:[267549]", "socket:[notanumber]", "socket:[1"},
	}
	for pid, links := range fds {
		dir := filepath.Join(proc, strconv.Itoa(pid), "fd")
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		for i, l := range links {
			if err := os.Symlink(l, filepath.Join(dir, strconv.Itoa(i))); err != nil {
				t.Fatal(err)
			}
		}
	}
	netDir := filepath.Join(proc, "10", "net")
	if err := os.MkdirAll(netDir, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, n := range []string{"tcp", "tcp6"} {
		b, err := os.ReadFile(filepath.Join("testdata", n))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(netDir, n), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}

	if in, err := SocketInodesIn(proc, 11); err != nil || !reflect.DeepEqual(in, map[uint64]bool{267549: true}) {
		t.Fatalf("SocketInodesIn(11) = %v, %v", in, err)
	}
	tests := []struct {
		name string
		pids []int
		want []uint16
	}{
		{"both", []int{10, 11}, []uint16{31001, 40000}},
		{"gone pid first", []int{99, 10, 11}, []uint16{31001, 40000}},
		{"one", []int{10}, []uint16{31001}},
		{"none", nil, nil},
		{"all gone", []int{98, 99}, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := Listening(tc.pids, proc)
			if err != nil || !reflect.DeepEqual(got, tc.want) {
				t.Fatalf("Listening(%v) = %v, %v; want %v", tc.pids, got, err, tc.want)
			}
		})
	}
	// Process 11 first: its net tables are missing (it "exited" between the two reads), so
	// those of 10 are used.
	if got, err := Listening([]int{11, 10}, proc); err != nil || !reflect.DeepEqual(got, []uint16{31001, 40000}) {
		t.Fatalf("Listening(11, 10) = %v, %v", got, err)
	}
}

// listenEnv makes the test binary a listener: it listens on the address given, prints the
// port and waits for stdin to close.
const listenEnv = "CONTAIN_PORTS_TEST_LISTEN"

func TestMain(m *testing.M) {
	if addr := os.Getenv(listenEnv); addr != "" {
		l, err := net.Listen("tcp", addr)
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		fmt.Println(l.Addr().(*net.TCPAddr).Port)
		bufio.NewReader(os.Stdin).ReadString('\n') // until the test closes stdin
		l.Close()
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// startListener starts a child process listening on addr and returns its pid and port.
func startListener(t *testing.T, addr string) (int, uint16) {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), listenEnv+"="+addr)
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		stdin.Close()
		done := make(chan struct{})
		go func() { cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			cmd.Process.Kill()
			<-done
		}
	})
	line, err := bufio.NewReader(stdout).ReadString('\n')
	if err != nil {
		t.Fatalf("listener: %v", err)
	}
	port, err := strconv.ParseUint(strings.TrimSpace(line), 10, 16)
	if err != nil {
		t.Fatalf("listener said %q", line)
	}
	return cmd.Process.Pid, uint16(port)
}

// TestListeningReal: children listening on IPv4 and IPv6 are seen through their own pids,
// and a socket this test process listens on (the "host's", not the container's) is not.
func TestListeningReal(t *testing.T) {
	mine, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer mine.Close()
	myPort := uint16(mine.Addr().(*net.TCPAddr).Port)

	pid4, port4 := startListener(t, "127.0.0.1:0")
	want := []uint16{port4}
	pids := []int{pid4}
	if l, err := net.Listen("tcp6", "[::1]:0"); err == nil {
		l.Close()
		pid6, port6 := startListener(t, "[::1]:0")
		pids = append(pids, pid6)
		want = append(want, port6)
	}
	got, err := Listening(pids, "/proc")
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range got {
		if p == myPort {
			t.Fatalf("Listening(%v) = %v includes this test's own port %d", pids, got, myPort)
		}
	}
	gotSet := map[uint16]bool{}
	for _, p := range got {
		gotSet[p] = true
	}
	for _, p := range want {
		if !gotSet[p] {
			t.Fatalf("Listening(%v) = %v, missing %d", pids, got, p)
		}
	}
	if v := Violations(got, ranges(t, strconv.Itoa(int(port4))), nil); len(v) != len(want)-1 {
		t.Fatalf("Violations(%v) = %v", got, v)
	}
}
