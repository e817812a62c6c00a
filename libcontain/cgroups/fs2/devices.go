package fs2

// Device rules on cgroup v2. v2 has no devices.allow/devices.deny: the kernel asks an eBPF
// program of type BPF_PROG_TYPE_CGROUP_DEVICE, attached to the cgroup (or an ancestor), on every
// open(2) and mknod(2) of a device node, and denies the access when any attached program returns
// 0 (kernel/bpf/cgroup.c, __cgroup_bpf_check_dev_permission). The program is compiled here from
// the spec's rules (plus runc's defaults, devicerules.WithDefaults) and attached with
// BPF_PROG_ATTACH and BPF_F_ALLOW_MULTI, so that programs of parent cgroups (systemd's, a
// container engine's) keep running too: with MULTI every program on the path must allow.
//
// The attachment holds its own reference to the program, so it lasts as long as the cgroup and
// needs no pinning and no process of ours to stay alive. Update replaces it by attaching the new
// program first and only then detaching the old ones: there is never a moment without a filter.
//
// Why github.com/cilium/ebpf: it is the maintained pure-Go eBPF library (used by runc, Cilium,
// Tetragon), so no cgo and no libbpf in the static binary; its asm package assembles the program
// with symbolic jump labels and its link package wraps BPF_PROG_ATTACH/DETACH/QUERY. Writing the
// bpf(2) attribute structs by hand would duplicate exactly what it already gets right across
// kernel versions.

import (
	"errors"
	"fmt"
	"os"
	"strconv"

	"github.com/cilium/ebpf"
	"github.com/cilium/ebpf/asm"
	"github.com/cilium/ebpf/link"
	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	"github.com/contain-runtime/contain/libcontain/cgroups/devicerules"
)

// Values of struct bpf_cgroup_dev_ctx (include/uapi/linux/bpf.h): access_type holds the access
// in its upper 16 bits and the device type in its lower 16.
const (
	devTypeBlock = 1 // BPF_DEVCG_DEV_BLOCK
	devTypeChar  = 2 // BPF_DEVCG_DEV_CHAR
	accMknod     = 1 // BPF_DEVCG_ACC_MKNOD
	accRead      = 2 // BPF_DEVCG_ACC_READ
	accWrite     = 4 // BPF_DEVCG_ACC_WRITE
	accAll       = accMknod | accRead | accWrite
)

// deviceRule is one spec rule in the form the program tests it.
type deviceRule struct {
	allow        bool
	typ          int   // 0: any type, else devTypeBlock/devTypeChar
	major, minor int64 // -1: any
	access       int   // accMknod|accRead|accWrite bits the rule covers
}

func compileRule(r specs.LinuxDeviceCgroup) (deviceRule, error) {
	// devicerules.V1 validates type and access exactly as the v1 driver does.
	if _, _, err := devicerules.V1(r); err != nil {
		return deviceRule{}, err
	}
	d := deviceRule{allow: r.Allow, major: -1, minor: -1}
	switch r.Type {
	case "b":
		d.typ = devTypeBlock
	case "c":
		d.typ = devTypeChar
	}
	for _, n := range []struct {
		src *int64
		dst *int64
	}{{r.Major, &d.major}, {r.Minor, &d.minor}} {
		if n.src != nil && *n.src >= 0 {
			if *n.src > 1<<31-1 {
				return deviceRule{}, fmt.Errorf("device rule: number %d is out of range", *n.src)
			}
			*n.dst = *n.src
		}
	}
	access := r.Access
	if access == "" {
		access = "rwm"
	}
	for _, c := range access {
		switch c {
		case 'm':
			d.access |= accMknod
		case 'r':
			d.access |= accRead
		case 'w':
			d.access |= accWrite
		}
	}
	return d, nil
}

// matches reports whether the rule decides a request: the device matches and the rule covers
// every access bit requested.
func (d deviceRule) matches(typ int, major, minor int64, access int) bool {
	return (d.typ == 0 || d.typ == typ) &&
		(d.major < 0 || d.major == major) && (d.minor < 0 || d.minor == minor) &&
		access&^d.access == 0
}

// decide is the Go statement of what deviceProgram compiles: the last rule that matches decides;
// with none, access is allowed (as in v1, where a cgroup whose rules never mention a device
// keeps its parent's allow-all). Every spec list that means to restrict starts with "deny all",
// which matches everything. Tests check the program against this.
func decide(rules []deviceRule, typ int, major, minor int64, access int) bool {
	for i := len(rules) - 1; i >= 0; i-- {
		if rules[i].matches(typ, major, minor, access) {
			return rules[i].allow
		}
	}
	return true
}

// deviceProgram assembles the filter for rules (see decide). Registers: R2 device type, R3
// requested access, R4 major, R5 minor; R0 the verdict (1 allow, 0 deny).
//
// A request asking for several accesses at once (open O_RDWR asks for read|write) is decided by
// the last rule covering all of them. v1 merges the access of identical exceptions ("c 1:3 r"
// then "c 1:3 w" allow rw); here that pair allows r or w alone but not rw together: write
// "c 1:3 rw" to allow both, as every engine does.
func deviceProgram(rules []deviceRule) asm.Instructions {
	insns := asm.Instructions{
		asm.LoadMem(asm.R2, asm.R1, 0, asm.Word),
		asm.And.Imm32(asm.R2, 0xffff),
		asm.LoadMem(asm.R3, asm.R1, 0, asm.Word),
		asm.RSh.Imm32(asm.R3, 16),
		asm.LoadMem(asm.R4, asm.R1, 4, asm.Word),
		asm.LoadMem(asm.R5, asm.R1, 8, asm.Word),
	}
	label := "" // the previous rule's "no match" target: the next instruction emitted
	emit := func(block ...asm.Instruction) {
		if label != "" {
			block[0] = block[0].WithSymbol(label)
			label = ""
		}
		insns = append(insns, block...)
	}
	for i := len(rules) - 1; i >= 0; i-- {
		r := rules[i]
		next := "rule" + strconv.Itoa(i) + "-no"
		var block asm.Instructions
		if r.typ != 0 {
			block = append(block, asm.JNE.Imm32(asm.R2, int32(r.typ), next))
		}
		if r.access != accAll {
			// Not every requested bit is covered: (requested &^ covered) != 0.
			block = append(block,
				asm.Mov.Reg32(asm.R1, asm.R3),
				asm.And.Imm32(asm.R1, int32(accAll&^r.access)),
				asm.JNE.Imm32(asm.R1, 0, next))
		}
		if r.major >= 0 {
			block = append(block, asm.JNE.Imm32(asm.R4, int32(r.major), next))
		}
		if r.minor >= 0 {
			block = append(block, asm.JNE.Imm32(asm.R5, int32(r.minor), next))
		}
		verdict := int32(0)
		if r.allow {
			verdict = 1
		}
		emit(append(block, asm.Mov.Imm32(asm.R0, verdict), asm.Return())...)
		if len(block) > 0 {
			label = next
		} else {
			// A rule matching everything decides every request: nothing after it can run.
			return insns
		}
	}
	emit(asm.Mov.Imm32(asm.R0, 1), asm.Return())
	return insns
}

// compileRules turns the spec's rules (runc's defaults appended) into deviceRules. An empty list
// stays empty: no filter is attached and the cgroup keeps what its parents allow.
func compileRules(spec []specs.LinuxDeviceCgroup) ([]deviceRule, error) {
	var out []deviceRule
	for _, r := range devicerules.WithDefaults(spec) {
		d, err := compileRule(r)
		if err != nil {
			return nil, err
		}
		out = append(out, d)
	}
	return out, nil
}

// loadDeviceProgram loads the filter for rules into the kernel (the verifier checks it here).
func loadDeviceProgram(rules []deviceRule) (*ebpf.Program, error) {
	prog, err := ebpf.NewProgramWithOptions(&ebpf.ProgramSpec{
		Name:         "contain_dev",
		Type:         ebpf.CGroupDevice,
		License:      "Apache",
		Instructions: deviceProgram(rules),
	}, ebpf.ProgramOptions{})
	if err != nil {
		return nil, fmt.Errorf("load eBPF device filter: %w", err)
	}
	return prog, nil
}

// attachDeviceFilter compiles rules and attaches the program to the cgroup dir, then detaches
// the device programs that were attached to dir before (ours, from create or an earlier update).
// Programs of parent cgroups are not attached to dir and are never touched.
func attachDeviceFilter(dir string, spec []specs.LinuxDeviceCgroup) error {
	rules, err := compileRules(spec)
	if err != nil {
		return err
	}
	if len(rules) == 0 {
		return nil
	}
	prog, err := loadDeviceProgram(rules)
	if err != nil {
		return err
	}
	// The attachment keeps its own reference; our fd is not needed after attaching.
	defer prog.Close()
	cg, err := os.OpenFile(dir, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return fmt.Errorf("attach eBPF device filter: %w", err)
	}
	defer cg.Close()
	old, err := link.QueryPrograms(link.QueryOptions{Target: int(cg.Fd()), Attach: ebpf.AttachCGroupDevice})
	if err != nil {
		return fmt.Errorf("attach eBPF device filter to %s: %w", dir, err)
	}
	err = link.RawAttachProgram(link.RawAttachProgramOptions{
		Target: int(cg.Fd()), Program: prog, Attach: ebpf.AttachCGroupDevice, Flags: unix.BPF_F_ALLOW_MULTI,
	})
	if err != nil {
		return fmt.Errorf("attach eBPF device filter to %s: %w", dir, err)
	}
	var errs []error
	for _, p := range old.Programs {
		if err := detachProgram(int(cg.Fd()), p.ID); err != nil {
			errs = append(errs, fmt.Errorf("detach old eBPF device filter from %s: %w", dir, err))
		}
	}
	return errors.Join(errs...)
}

func detachProgram(cgfd int, id ebpf.ProgramID) error {
	p, err := ebpf.NewProgramFromID(id)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil // detached meanwhile
		}
		return err
	}
	defer p.Close()
	return link.RawDetachProgram(link.RawDetachProgramOptions{Target: cgfd, Program: p, Attach: ebpf.AttachCGroupDevice})
}
