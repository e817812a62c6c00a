package protocol

import "golang.org/x/sys/unix"

// ProcessSetup is what init applies to itself just before the process runs, besides its ids and
// capabilities, parsed and checked by the runtime (the child side has no spec layer).
type ProcessSetup struct {
	// MemoryPolicy: set_mempolicy(2)'s mode (flags or'ed in) and node mask.
	MemoryPolicy *MemoryPolicy `json:"memoryPolicy,omitempty"`
	// Personality: personality(2)'s value (linux.personality's domain).
	Personality *int `json:"personality,omitempty"`
	// Scheduler: sched_setattr(2)'s attributes (process.scheduler).
	Scheduler *unix.SchedAttr `json:"scheduler,omitempty"`
	// CpusetCpus: the container's cgroup limits its CPUs, which a deadline scheduler refuses.
	CpusetCpus bool `json:"cpusetCpus,omitempty"`
	// TimeOffsets: the clocks of a new time namespace, as /proc/self/timens_offsets takes them
	// ("monotonic 7881 2718281" lines).
	TimeOffsets string `json:"timeOffsets,omitempty"`
}

// MemoryPolicy is set_mempolicy(2)'s arguments.
type MemoryPolicy struct {
	Mode  int          `json:"mode"`
	Nodes *unix.CPUSet `json:"nodes,omitempty"`
}
