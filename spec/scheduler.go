package spec

import (
	"errors"
	"fmt"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

var schedPolicies = map[specs.LinuxSchedulerPolicy]uint32{
	specs.SchedOther: 0, specs.SchedFIFO: 1, specs.SchedRR: 2, specs.SchedBatch: 3,
	specs.SchedISO: 4, specs.SchedIdle: 5, specs.SchedDeadline: 6,
}

var schedFlags = map[specs.LinuxSchedulerFlag]uint64{
	specs.SchedFlagResetOnFork: 0x01, specs.SchedFlagReclaim: 0x02, specs.SchedFlagDLOverrun: 0x04,
	specs.SchedFlagKeepPolicy: 0x08, specs.SchedFlagKeepParams: 0x10, specs.SchedFlagUtilClampMin: 0x20,
	specs.SchedFlagUtilClampMax: 0x40,
}

// SchedAttr checks process.scheduler with runc's rules and words and converts it to
// sched_setattr(2)'s attributes; nil is nil.
func SchedAttr(s *specs.Scheduler) (*unix.SchedAttr, error) {
	if s == nil {
		return nil, nil
	}
	if s.Policy == "" {
		return nil, errors.New("scheduler policy is required")
	}
	policy, ok := schedPolicies[s.Policy]
	if !ok {
		return nil, fmt.Errorf("invalid scheduler policy: %s", s.Policy)
	}
	if (s.Policy == specs.SchedOther || s.Policy == specs.SchedBatch) && (s.Nice < -20 || s.Nice > 19) {
		return nil, fmt.Errorf("invalid scheduler.nice: %d when scheduler.policy is %s", s.Nice, s.Policy)
	}
	if s.Priority != 0 && s.Policy != specs.SchedFIFO && s.Policy != specs.SchedRR {
		return nil, errors.New("scheduler.priority can only be specified for SchedFIFO or SchedRR policy")
	}
	if s.Policy != specs.SchedDeadline && (s.Runtime != 0 || s.Deadline != 0 || s.Period != 0) {
		return nil, errors.New("scheduler runtime/deadline/period can only be specified for SchedDeadline policy")
	}
	var flags uint64
	for _, f := range s.Flags {
		v, ok := schedFlags[f]
		if !ok {
			return nil, fmt.Errorf("invalid scheduler flag: %s", f)
		}
		flags |= v
	}
	return &unix.SchedAttr{
		Size: unix.SizeofSchedAttr, Policy: policy, Flags: flags, Nice: s.Nice,
		Priority: uint32(s.Priority), Runtime: s.Runtime, Deadline: s.Deadline, Period: s.Period,
	}, nil
}
