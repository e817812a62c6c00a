package libcontain

import (
	"fmt"
	"log/slog"
	"maps"
	"slices"
	"strings"

	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/contain-runtime/contain/libcontain/internal/protocol"
	"github.com/contain-runtime/contain/spec"
)

// processSetup parses what init applies to itself before process p runs (spec.Validate has
// accepted it at create): the memory policy, personality and scheduler, whether the cgroup
// limits the CPUs, and, for a new container (withTime), the time namespace's offsets.
func processSetup(log *slog.Logger, s *specs.Spec, p *specs.Process, withTime bool) (protocol.ProcessSetup, error) {
	var out protocol.ProcessSetup
	if l := s.Linux; l != nil {
		mp, err := spec.ParseMemoryPolicy(l.MemoryPolicy)
		if err != nil {
			return out, err
		}
		if mp != nil {
			out.MemoryPolicy = &protocol.MemoryPolicy{Mode: mp.Mode, Nodes: mp.Nodes}
		}
		if l.Personality != nil {
			v, err := spec.Personality(l.Personality)
			if err != nil {
				return out, err
			}
			if len(l.Personality.Flags) > 0 {
				log.Warn(fmt.Sprintf("ignoring unsupported personality flags: %v", l.Personality.Flags))
			}
			out.Personality = &v
		}
		out.CpusetCpus = l.Resources != nil && l.Resources.CPU != nil && l.Resources.CPU.Cpus != ""
		if withTime && len(l.TimeOffsets) > 0 {
			var b strings.Builder
			for _, clock := range slices.Sorted(maps.Keys(l.TimeOffsets)) {
				o := l.TimeOffsets[clock]
				fmt.Fprintf(&b, "%s %d %d\n", clock, o.Secs, o.Nanosecs)
			}
			out.TimeOffsets = b.String()
		}
	}
	if p != nil {
		sa, err := spec.SchedAttr(p.Scheduler)
		if err != nil {
			return out, err
		}
		out.Scheduler = sa
	}
	return out, nil
}
