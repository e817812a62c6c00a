package spec

import (
	"fmt"
	"math"
	"strings"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// Limits of the CFS bandwidth controller (kernel/sched/core.c): a period from 1ms to 1s, and a
// quota of at least 1ms. The kernel refuses anything else with EINVAL, on cgroup v1 and v2.
const (
	minCPUPeriod = 1000    // µs
	maxCPUPeriod = 1000000 // µs
	minCPUQuota  = 1000    // µs
)

// cpu.shares on cgroup v1 is clamped by the kernel to 2..262144; runc reads the value back and
// fails when it was clamped, and its v2 conversion to cpu.weight is only defined on that range.
const (
	minCPUShares = 2
	maxCPUShares = 262144
)

// checkResources rejects cgroup settings the kernel or runc would refuse, so the user gets one
// clear message at create instead of an EINVAL from a cgroup file halfway through. Following
// runc, 0 means "not set" for memory limit/reservation/swap, cpu shares/quota/period and blkio
// weights, and -1 means "unlimited" for memory limit/swap and cpu quota.
//
// Deliberately accepted:
//   - a tiny but positive memory limit: the kernel takes it (the container is then OOM-killed),
//     and runc does not second-guess it;
//   - any pids limit: a negative one is "max" and 0 is 1 (runc's rule), so none is invalid;
//   - any letters in a device rule's access: runc uses the r, w and m among them and ignores the
//     rest (its own tests use "rwa");
//   - swappiness 2^64-1: runc and docker use it (uint64(-1)) to mean "not set".
func checkResources(p *problems, r *specs.LinuxResources) {
	if m := r.Memory; m != nil {
		checkMemory(p, m)
	}
	if c := r.CPU; c != nil {
		checkCPU(p, c)
	}
	if b := r.BlockIO; b != nil {
		checkBlockIO(p, b)
	}
	for i, d := range r.Devices {
		switch d.Type {
		case "", "a", "b", "c":
		default:
			p.add("linux.resources.devices[%d]: type %q is not one of a, b, c", i, d.Type)
		}
	}
	for key := range r.Unified {
		// Keys are file names in the container's cgroup directory; a "/" or ".." would write
		// outside it.
		if key == "" || strings.Contains(key, "/") || key == "." || key == ".." {
			p.add("linux.resources.unified: %q is not a cgroup file name", key)
		}
	}
}

func checkMemory(p *problems, m *specs.LinuxMemory) {
	limit, swap, res := m.Limit, m.Swap, m.Reservation
	for _, v := range []struct {
		name string
		val  *int64
	}{{"limit", limit}, {"swap", swap}, {"reservation", res}} {
		if v.val != nil && *v.val < -1 {
			p.add("linux.resources.memory.%s %d is negative (use -1 for unlimited)", v.name, *v.val)
		}
	}
	limited := limit != nil && *limit > 0
	if limited && res != nil && *res > *limit {
		p.add("linux.resources.memory.reservation %d is above the memory limit %d", *res, *limit)
	}
	if swap != nil && *swap > 0 {
		// swap is memory+swap. cgroup v1 refuses memory.memsw.limit_in_bytes below
		// memory.limit_in_bytes (EINVAL), and there is no v2 swap value to derive from it
		// without a memory limit.
		switch {
		case !limited:
			p.add("linux.resources.memory.swap %d needs a memory limit", *swap)
		case *swap < *limit:
			p.add("linux.resources.memory.swap %d is below the memory limit %d (swap counts memory+swap)", *swap, *limit)
		}
	}
	if s := m.Swappiness; s != nil && *s > 100 && *s != math.MaxUint64 {
		p.add("linux.resources.memory.swappiness %d is outside 0..100", *s)
	}
}

// checkCPU needs no check for negative shares or period: both are unsigned in the spec, so a
// negative value already fails to parse.
func checkCPU(p *problems, c *specs.LinuxCPU) {
	if s := c.Shares; s != nil && *s != 0 && (*s < minCPUShares || *s > maxCPUShares) {
		p.add("linux.resources.cpu.shares %d is outside %d..%d", *s, minCPUShares, maxCPUShares)
	}
	if q := c.Quota; q != nil && (*q < -1 || (*q > 0 && *q < minCPUQuota)) {
		p.add("linux.resources.cpu.quota %d must be -1 (unlimited) or at least %d", *q, minCPUQuota)
	}
	if pr := c.Period; pr != nil && *pr != 0 && (*pr < minCPUPeriod || *pr > maxCPUPeriod) {
		p.add("linux.resources.cpu.period %d is outside %d..%d", *pr, minCPUPeriod, maxCPUPeriod)
	}
}

// Block IO weights: 10..1000 is CFQ's range on cgroup v1, docker's API limit, and the domain of
// runc's conversion to cgroup v2's io.weight (below 10 its unsigned arithmetic wraps).
const (
	minBlkioWeight = 10
	maxBlkioWeight = 1000
)

func checkBlockIO(p *problems, b *specs.LinuxBlockIO) {
	checkWeight := func(name string, w *uint16) {
		if w != nil && *w != 0 && (*w < minBlkioWeight || *w > maxBlkioWeight) {
			p.add("linux.resources.blockIO.%s %d is outside %d..%d", name, *w, minBlkioWeight, maxBlkioWeight)
		}
	}
	checkWeight("weight", b.Weight)
	checkWeight("leafWeight", b.LeafWeight)
	for i, d := range b.WeightDevice {
		// The spec says at least one of weight and leafWeight MUST be given.
		if d.Weight == nil && d.LeafWeight == nil {
			p.add("linux.resources.blockIO.weightDevice[%d] (%d:%d) sets neither weight nor leafWeight", i, d.Major, d.Minor)
		}
		checkWeight(fmt.Sprintf("weightDevice[%d].weight", i), d.Weight)
		checkWeight(fmt.Sprintf("weightDevice[%d].leafWeight", i), d.LeafWeight)
	}
}
