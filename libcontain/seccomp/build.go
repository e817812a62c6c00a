//go:build cgo

package seccomp

import (
	"errors"
	"fmt"
	"strings"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	libseccomp "github.com/seccomp/libseccomp-golang"
	"golang.org/x/sys/unix"
)

// flagBits maps the OCI flag names to seccomp(2)'s. TSYNC is accepted but adds nothing: Load
// always synchronises every thread (the init is a Go program with several threads).
var flagBits = map[specs.LinuxSeccompFlag]uintptr{
	"SECCOMP_FILTER_FLAG_TSYNC":            unix.SECCOMP_FILTER_FLAG_TSYNC,
	specs.LinuxSeccompFlagLog:              unix.SECCOMP_FILTER_FLAG_LOG,
	specs.LinuxSeccompFlagSpecAllow:        unix.SECCOMP_FILTER_FLAG_SPEC_ALLOW,
	specs.LinuxSeccompFlagWaitKillableRecv: unix.SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV,
}

// notifyForbidden lists syscalls that must not be sent to a notify listener. The listener fd
// only leaves the init through a message sent after the filter is loaded; had that write or
// sendmsg to be approved by the listener, the init would wait forever for an answer only it
// could forward. runc refuses SCMP_ACT_NOTIFY on write for the same reason.
var notifyForbidden = map[string]bool{"write": true, "sendmsg": true}

// Build compiles the spec's profile. Every action, architecture, flag and argument operator is
// checked; unknown syscall names are skipped, because a profile written for a newer kernel or
// libseccomp names calls this one does not know (runc and crun skip them too). Rules whose
// action equals the default action are dropped: they change nothing and libseccomp refuses them.
func Build(s *specs.LinuxSeccomp) (*Filter, error) {
	if s == nil {
		return nil, errors.New("no seccomp profile")
	}
	def, err := convertAction(s.DefaultAction, s.DefaultErrnoRet)
	if err != nil {
		return nil, fmt.Errorf("seccomp defaultAction: %w", err)
	}
	if def == libseccomp.ActNotify {
		// Every syscall of the init after loading, including the one handing the listener fd
		// out, would wait on a listener nobody holds yet.
		return nil, errors.New("seccomp defaultAction: SCMP_ACT_NOTIFY cannot be the default action")
	}
	var flags uintptr
	for _, fl := range s.Flags {
		b, ok := flagBits[fl]
		if !ok {
			return nil, fmt.Errorf("seccomp flags: unknown flag %q", fl)
		}
		flags |= b
	}

	lf, err := libseccomp.NewFilter(def)
	if err != nil {
		return nil, fmt.Errorf("create seccomp filter: %w", err)
	}
	defer lf.Release()
	if err := addArchs(lf, s.Architectures); err != nil {
		return nil, fmt.Errorf("seccomp architectures: %w", err)
	}

	f := &Filter{}
	maxNr := -1 // highest native syscall number the profile names, for the ENOSYS stub
	for i, sc := range s.Syscalls {
		maxNr, err = addSyscallRule(lf, def, sc, maxNr, &f.notify)
		if err != nil {
			return nil, fmt.Errorf("seccomp syscalls[%d] (%s): %w", i, nameList(sc.Names), err)
		}
	}
	if f.notify {
		flags |= unix.SECCOMP_FILTER_FLAG_NEW_LISTENER
	} else {
		// The kernel refuses WAIT_KILLABLE_RECV without NEW_LISTENER (EINVAL); without a
		// listener the flag has nothing to act on, so a profile that sets it anyway still loads.
		flags &^= unix.SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV
	}
	f.flags = flags &^ unix.SECCOMP_FILTER_FLAG_TSYNC

	prog, err := exportBPF(lf)
	if err != nil {
		return nil, err
	}
	if def&0xffff == libseccomp.ActErrno && maxNr >= 0 {
		prog = withENOSYSStub(prog, maxNr)
	}
	if len(prog) > unix.BPF_MAXINSNS {
		return nil, fmt.Errorf("seccomp filter has %d instructions, the kernel loads at most %d", len(prog), unix.BPF_MAXINSNS)
	}
	f.prog = prog
	return f, nil
}

// addSyscallRule adds one OCI syscall entry and returns the new highest native syscall number.
func addSyscallRule(lf *libseccomp.ScmpFilter, def libseccomp.ScmpAction, sc specs.LinuxSyscall, maxNr int, notify *bool) (int, error) {
	act, err := convertAction(sc.Action, sc.ErrnoRet)
	if err != nil {
		return maxNr, err
	}
	conds, err := conditions(sc.Args)
	if err != nil {
		return maxNr, err
	}
	if act == libseccomp.ActNotify {
		for _, n := range sc.Names {
			if notifyForbidden[n] {
				return maxNr, fmt.Errorf("SCMP_ACT_NOTIFY cannot be used for %s: the init needs it to hand out the listener fd", n)
			}
		}
	}
	for _, name := range sc.Names {
		nr, err := libseccomp.GetSyscallFromName(name)
		if err != nil {
			continue // unknown to this libseccomp: see Build
		}
		if int(nr) > maxNr {
			// Counted even for rules dropped below: the profile knows this call, so it must
			// get the profile's answer, not the ENOSYS stub's. Negative numbers are
			// libseccomp's pseudo-syscalls for calls the native architecture lacks.
			maxNr = int(nr)
		}
		if act == def {
			continue
		}
		if act == libseccomp.ActNotify {
			*notify = true
		}
		if err := addRule(lf, nr, act, conds); err != nil {
			return maxNr, fmt.Errorf("add rule for %s: %w", name, err)
		}
	}
	return maxNr, nil
}

// addRule adds one syscall's conditions. Conditions on distinct arguments are ANDed in one rule.
// libseccomp cannot AND two conditions on the same argument (it answers EINVAL); runc then adds
// each condition as its own rule, which ORs them, and profiles in the wild (docker's, podman's)
// are written against that behaviour, so contain does the same.
func addRule(lf *libseccomp.ScmpFilter, nr libseccomp.ScmpSyscall, act libseccomp.ScmpAction, conds []libseccomp.ScmpCondition) error {
	if len(conds) == 0 {
		return lf.AddRule(nr, act)
	}
	seen := map[uint]bool{}
	repeated := false
	for _, c := range conds {
		repeated = repeated || seen[c.Argument]
		seen[c.Argument] = true
	}
	if !repeated {
		return lf.AddRuleConditional(nr, act, conds)
	}
	for _, c := range conds {
		if err := lf.AddRuleConditional(nr, act, []libseccomp.ScmpCondition{c}); err != nil {
			return err
		}
	}
	return nil
}

// ops maps the OCI argument operators to libseccomp's.
var ops = map[specs.LinuxSeccompOperator]libseccomp.ScmpCompareOp{
	specs.OpNotEqual:     libseccomp.CompareNotEqual,
	specs.OpLessThan:     libseccomp.CompareLess,
	specs.OpLessEqual:    libseccomp.CompareLessOrEqual,
	specs.OpEqualTo:      libseccomp.CompareEqual,
	specs.OpGreaterEqual: libseccomp.CompareGreaterEqual,
	specs.OpGreaterThan:  libseccomp.CompareGreater,
	specs.OpMaskedEqual:  libseccomp.CompareMaskedEqual,
}

// maxArgs is the number of syscall arguments seccomp_data carries.
const maxArgs = 6

func conditions(args []specs.LinuxSeccompArg) ([]libseccomp.ScmpCondition, error) {
	var out []libseccomp.ScmpCondition
	for i, a := range args {
		op, ok := ops[a.Op]
		if !ok {
			return nil, fmt.Errorf("args[%d]: unknown operator %q", i, a.Op)
		}
		if a.Index >= maxArgs {
			return nil, fmt.Errorf("args[%d]: index %d out of range (0-%d)", i, a.Index, maxArgs-1)
		}
		vals := []uint64{a.Value}
		if op == libseccomp.CompareMaskedEqual {
			vals = append(vals, a.ValueTwo) // value is the mask, valueTwo the datum
		}
		c, err := libseccomp.MakeCondition(a.Index, op, vals...)
		if err != nil {
			return nil, fmt.Errorf("args[%d]: %w", i, err)
		}
		out = append(out, c)
	}
	return out, nil
}

// nameList shortens a rule's names for an error message; docker's allow rule has 300 of them.
func nameList(names []string) string {
	const show = 3
	if len(names) <= show {
		return strings.Join(names, ", ")
	}
	return fmt.Sprintf("%s, ... %d more", strings.Join(names[:show], ", "), len(names)-show)
}
