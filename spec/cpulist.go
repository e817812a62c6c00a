package spec

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"unsafe"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

// ParseCPUList parses a kernel cpu or node list ("0-3,7", as in cpuset.cpus) into a set. Extra
// spaces and empty elements are allowed, as runc allows them; a number past what the set can
// hold is an error, not silently dropped. "" is nil.
func ParseCPUList(s string) (*unix.CPUSet, error) {
	if strings.TrimSpace(s) == "" {
		return nil, nil
	}
	set := new(unix.CPUSet)
	limit := uint64(unsafe.Sizeof(*set) * 8)
	num := func(v string) (int, error) {
		n, err := strconv.ParseUint(strings.TrimSpace(v), 10, 32)
		if err != nil {
			return 0, err
		}
		if n >= limit {
			return 0, fmt.Errorf("values larger than %d are not supported", limit-1)
		}
		return int(n), nil
	}
	for _, r := range strings.Split(s, ",") {
		if r = strings.TrimSpace(r); r == "" {
			continue
		}
		lo, hi, isRange := strings.Cut(r, "-")
		first, err := num(lo)
		if err != nil {
			return nil, err
		}
		last := first
		if isRange {
			if last, err = num(hi); err != nil {
				return nil, err
			}
			if first > last {
				return nil, errors.New("invalid range: " + r)
			}
		}
		for i := first; i <= last; i++ {
			set.Set(i)
		}
	}
	return set, nil
}

// CPUAffinity is process.execCPUAffinity parsed: the CPUs an exec'd process starts on (Initial)
// and runs on once it is in the container's cgroup (Final); nil where the spec sets none.
type CPUAffinity struct {
	Initial *unix.CPUSet `json:"initial,omitempty"`
	Final   *unix.CPUSet `json:"final,omitempty"`
}

// ParseCPUAffinity parses process.execCPUAffinity with runc's words; nil when it sets nothing.
func ParseCPUAffinity(a *specs.CPUAffinity) (*CPUAffinity, error) {
	if a == nil {
		return nil, nil
	}
	initial, err := ParseCPUList(a.Initial)
	if err != nil {
		return nil, fmt.Errorf("bad CPUAffinity.Initial: %w", err)
	}
	final, err := ParseCPUList(a.Final)
	if err != nil {
		return nil, fmt.Errorf("bad CPUAffinity.Final: %w", err)
	}
	if initial == nil && final == nil {
		return nil, nil
	}
	return &CPUAffinity{Initial: initial, Final: final}, nil
}
