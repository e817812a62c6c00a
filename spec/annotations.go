package spec

import (
	"errors"
	"fmt"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"
)

// AnnotationPrefix is the one prefix contain reads annotations under. Every key below it must be
// one contain knows: a typo ("io.contain.disk.limt") must fail create, not silently drop a quota.
const AnnotationPrefix = "io.contain."

// The annotations contain reads from a spec.
const (
	AnnotationVolumes       = "io.contain.volumes"        // HOST:CONTAINER[:ro|:rw], comma or newline separated
	AnnotationDiskLimit     = "io.contain.disk.limit"     // SIZE (ParseSize), > 0
	AnnotationDiskInterval  = "io.contain.disk.interval"  // Go duration, default DefaultDiskInterval
	AnnotationDiskEnforce   = "io.contain.disk.enforce"   // true|false, default false
	AnnotationPorts         = "io.contain.ports"          // RANGES the container may listen on ("" = none)
	AnnotationPortsInterval = "io.contain.ports.interval" // Go duration, default DefaultPortsInterval
	AnnotationPortsRange    = "io.contain.ports.range"    // RANGES: only listening ports in here are checked
	AnnotationJail          = "io.contain.jail"           // true|false
	AnnotationStdio         = "io.contain.stdio"          // "" or "sandbox"
)

// The annotations contain writes into a container's state. They are outputs: ParseAnnotations
// refuses them in a spec, because a caller that sets them (say, by copying a state's annotations
// into a new spec) would otherwise believe it configured something contain then overwrites.
const (
	AnnotationSandbox    = "io.contain.sandbox"    // the container's sandbox (run) directory
	AnnotationLimitation = "io.contain.limitation" // why an isolator ended the container
	// AnnotationLimitationMessage details the limitation: usage against limit, offending ports.
	AnnotationLimitationMessage = "io.contain.limitation.message"
)

// Interval defaults and floor. Mesos checks disks every 15s (posix/disk's default) and ports
// every 30s (--container_ports_watch_interval); contain uses 15s for both so one number
// describes how late a violation can be noticed. Below 100ms the measuring itself (a full
// directory walk, a /proc scan) becomes the load.
const (
	DefaultDiskInterval  = 15 * time.Second
	DefaultPortsInterval = 15 * time.Second
	MinInterval          = 100 * time.Millisecond
)

// StdioSandbox is the io.contain.stdio value that sends the container's stdout and stderr to
// files in its sandbox.
const StdioSandbox = "sandbox"

// Isolators are the contain features a spec's annotations switch on. The zero value (no
// annotations) switches nothing on.
type Isolators struct {
	Volumes []Volume       // io.contain.volumes
	Disk    *DiskIsolator  // nil unless io.contain.disk.limit is set
	Ports   *PortsIsolator // nil unless io.contain.ports is set
	Jail    bool           // io.contain.jail
	Stdio   string         // io.contain.stdio: "" or StdioSandbox
}

// Monitored reports whether the container needs the monitor process (disk or ports isolator).
func (i *Isolators) Monitored() bool { return i != nil && (i.Disk != nil || i.Ports != nil) }

// DiskIsolator is the posix/disk-like quota on the sandbox and the container's writable layer.
type DiskIsolator struct {
	Limit    int64 // bytes, > 0; compared with allocated (du -B1) usage
	Interval time.Duration
	Enforce  bool // kill the container when over Limit; otherwise only report
}

// PortsIsolator is the network/ports-like check of the TCP ports a host-network container
// listens on.
type PortsIsolator struct {
	Allocated PortRanges // ports the container may listen on; empty = none
	Interval  time.Duration
	Filter    PortRanges // only listening ports in here are checked; nil = all
}

// PortRange is an inclusive range of TCP ports, First <= Last, neither 0.
type PortRange struct{ First, Last uint16 }

// PortRanges is a set of port ranges, sorted and merged by ParsePortRanges.
type PortRanges []PortRange

// Contains reports whether port p lies in one of the ranges.
func (r PortRanges) Contains(p uint16) bool {
	for _, pr := range r {
		if p >= pr.First && p <= pr.Last {
			return true
		}
	}
	return false
}

// String formats the ranges the way ParsePortRanges reads them ("8080,31000-31005").
func (r PortRanges) String() string {
	parts := make([]string, 0, len(r))
	for _, pr := range r {
		if pr.First == pr.Last {
			parts = append(parts, strconv.Itoa(int(pr.First)))
		} else {
			parts = append(parts, fmt.Sprintf("%d-%d", pr.First, pr.Last))
		}
	}
	return strings.Join(parts, ",")
}

// ParsePortRanges reads "31000-31005,8080": comma-separated ports or inclusive FIRST-LAST
// ranges, spaces around items allowed. It refuses empty input and empty items, port 0, ports
// above 65535, reversed ranges and anything that is not a decimal number. The result is sorted
// with overlapping and adjacent ranges merged.
func ParsePortRanges(s string) (PortRanges, error) {
	if strings.TrimSpace(s) == "" {
		return nil, fmt.Errorf("invalid port ranges %q: empty", s)
	}
	var out PortRanges
	for _, item := range strings.Split(s, ",") {
		item = strings.TrimSpace(item)
		if item == "" {
			return nil, fmt.Errorf("invalid port ranges %q: empty item", s)
		}
		first, last, isRange := strings.Cut(item, "-")
		a, err := parsePort(first)
		if err != nil {
			return nil, fmt.Errorf("invalid port ranges %q: %w", s, err)
		}
		b := a
		if isRange {
			if b, err = parsePort(last); err != nil {
				return nil, fmt.Errorf("invalid port ranges %q: %w", s, err)
			}
			if b < a {
				return nil, fmt.Errorf("invalid port ranges %q: range %q is reversed", s, item)
			}
		}
		out = append(out, PortRange{First: a, Last: b})
	}
	return out.merged(), nil
}

func parsePort(s string) (uint16, error) {
	s = strings.TrimSpace(s)
	// Digits only, so "0x50", "8_0", "+80" and " " all get the same plain message.
	if s == "" || !isDigits(s) {
		return 0, fmt.Errorf("port %q is not a number", s)
	}
	v, err := strconv.ParseUint(s, 10, 16)
	if err != nil {
		return 0, fmt.Errorf("port %q is out of range 1-65535", s)
	}
	if v == 0 {
		return 0, errors.New("port 0 is not a port")
	}
	return uint16(v), nil
}

// merged sorts the ranges and joins overlapping and adjacent ones.
func (r PortRanges) merged() PortRanges {
	sort.Slice(r, func(i, j int) bool { return r[i].First < r[j].First })
	var out PortRanges
	for _, pr := range r {
		if n := len(out); n > 0 && uint32(pr.First) <= uint32(out[n-1].Last)+1 {
			if pr.Last > out[n-1].Last {
				out[n-1].Last = pr.Last
			}
			continue
		}
		out = append(out, pr)
	}
	return out
}

// ParseInterval reads an isolator interval: a Go duration ("15s", "500ms") of at least
// MinInterval.
func ParseInterval(s string) (time.Duration, error) {
	d, err := time.ParseDuration(strings.TrimSpace(s))
	if err != nil {
		return 0, fmt.Errorf("invalid interval %q: want a duration like 15s or 500ms", s)
	}
	if d < MinInterval {
		return 0, fmt.Errorf("invalid interval %q: must be at least %s", s, MinInterval)
	}
	return d, nil
}

// parseStrictBool takes only "true" and "false": strconv.ParseBool's "T", "0" and "FALSE" are
// more ways to misread a switch than anyone writing an annotation needs.
func parseStrictBool(s string) (bool, error) {
	switch strings.TrimSpace(s) {
	case "true":
		return true, nil
	case "false":
		return false, nil
	}
	return false, fmt.Errorf("invalid boolean %q: want true or false", s)
}

// ParseVolumes reads io.contain.volumes: HOST:CONTAINER[:ro|:rw] items separated by commas or
// newlines (so a YAML block scalar works); whitespace around items and empty items (a trailing
// comma, "a,\nb") are ignored, but at least one volume must be listed. A relative HOST is a
// directory in the sandbox: it may not contain "..", nor be the sandbox itself ("."). Two
// volumes may not share a container path (the second would silently hide the first).
func ParseVolumes(s string) ([]Volume, error) {
	var items []string
	for _, item := range strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == '\n' }) {
		if item = strings.TrimSpace(item); item != "" {
			items = append(items, item)
		}
	}
	if len(items) == 0 {
		return nil, errors.New("no volumes listed")
	}
	var vols []Volume
	seen := map[string]bool{}
	for _, item := range items {
		v, err := ParseVolume(item)
		if err != nil {
			return nil, err
		}
		if !filepath.IsAbs(v.Host) {
			// ParseVolume refused ".."; "." or "./" would mount the whole sandbox, with the
			// overlay's upper dir and other volumes in it.
			if c := filepath.Clean(v.Host); c == "." || !filepath.IsLocal(c) {
				return nil, fmt.Errorf("invalid volume %q: a sandbox path must name a directory inside the sandbox", item)
			}
			v.Host = filepath.Clean(v.Host)
		}
		v.Container = filepath.Clean(v.Container)
		if v.Container == "/" {
			return nil, fmt.Errorf("invalid volume %q: cannot mount over the container's root", item)
		}
		if seen[v.Container] {
			return nil, fmt.Errorf("invalid volume %q: container path %s is already a volume", item, v.Container)
		}
		seen[v.Container] = true
		vols = append(vols, v)
	}
	return vols, nil
}

// ParseAnnotations reads the io.contain.* annotations of a spec into Isolators and validates
// them; annotations under other prefixes are ignored. Every error names the key and its value.
// Keys are checked in sorted order so the same spec always reports the same error.
func ParseAnnotations(a map[string]string) (*Isolators, error) {
	iso := &Isolators{}
	keys := make([]string, 0, len(a))
	for k := range a {
		if strings.HasPrefix(k, AnnotationPrefix) {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	var (
		disk  DiskIsolator
		ports PortsIsolator
	)
	for _, k := range keys {
		v := a[k]
		bad := func(err error) error { return fmt.Errorf("annotation %s=%q: %w", k, v, err) }
		var err error
		switch k {
		case AnnotationVolumes:
			iso.Volumes, err = ParseVolumes(v)
		case AnnotationDiskLimit:
			disk.Limit, err = ParseSize(v)
			if err == nil && disk.Limit <= 0 {
				err = errors.New("the limit must be more than 0 bytes")
			}
		case AnnotationDiskInterval:
			disk.Interval, err = ParseInterval(v)
		case AnnotationDiskEnforce:
			disk.Enforce, err = parseStrictBool(v)
		case AnnotationPorts:
			// An empty value allocates no ports: the container may not listen at all.
			ports.Allocated = PortRanges{}
			if strings.TrimSpace(v) != "" {
				ports.Allocated, err = ParsePortRanges(v)
			}
		case AnnotationPortsInterval:
			ports.Interval, err = ParseInterval(v)
		case AnnotationPortsRange:
			ports.Filter, err = ParsePortRanges(v)
		case AnnotationJail:
			iso.Jail, err = parseStrictBool(v)
		case AnnotationStdio:
			if v != "" && v != StdioSandbox {
				err = fmt.Errorf("want %q or empty", StdioSandbox)
			}
			iso.Stdio = v
		case AnnotationSandbox, AnnotationLimitation, AnnotationLimitationMessage:
			err = errors.New("contain writes this annotation into a container's state; a spec may not set it")
		default:
			return nil, fmt.Errorf("unknown annotation %q", k)
		}
		if err != nil {
			return nil, bad(err)
		}
	}

	if _, ok := a[AnnotationDiskLimit]; ok {
		if disk.Interval == 0 {
			disk.Interval = DefaultDiskInterval
		}
		iso.Disk = &disk
	} else {
		for _, k := range []string{AnnotationDiskInterval, AnnotationDiskEnforce} {
			if v, ok := a[k]; ok {
				return nil, fmt.Errorf("annotation %s=%q: needs %s", k, v, AnnotationDiskLimit)
			}
		}
	}
	if _, ok := a[AnnotationPorts]; ok {
		if ports.Interval == 0 {
			ports.Interval = DefaultPortsInterval
		}
		iso.Ports = &ports
	} else {
		for _, k := range []string{AnnotationPortsInterval, AnnotationPortsRange} {
			if v, ok := a[k]; ok {
				return nil, fmt.Errorf("annotation %s=%q: needs %s", k, v, AnnotationPorts)
			}
		}
	}
	return iso, nil
}
