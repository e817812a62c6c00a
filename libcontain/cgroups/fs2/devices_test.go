package fs2

import (
	"encoding/binary"
	"errors"
	"os"
	"testing"

	"github.com/cilium/ebpf/asm"
	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

func i64(v int64) *int64 { return &v }

// run interprets the few instructions deviceProgram emits against a bpf_cgroup_dev_ctx, so the
// program's verdicts can be compared with decide without a kernel.
func run(t *testing.T, insns asm.Instructions, typ, major, minor, access uint32) bool {
	t.Helper()
	ctx := make([]byte, 12)
	binary.LittleEndian.PutUint32(ctx[0:], access<<16|typ)
	binary.LittleEndian.PutUint32(ctx[4:], major)
	binary.LittleEndian.PutUint32(ctx[8:], minor)
	offsets := make(map[string]int)
	for i, ins := range insns {
		if s := ins.Symbol(); s != "" {
			offsets[s] = i
		}
	}
	var reg [11]uint64
	for pc, steps := 0, 0; pc < len(insns); steps++ {
		if steps > 10000 {
			t.Fatal("program does not end")
		}
		ins := insns[pc]
		op := ins.OpCode
		switch {
		case op == asm.LoadMemOp(asm.Word):
			if ins.Src != asm.R1 || ins.Offset < 0 || ins.Offset > 8 {
				t.Fatalf("load outside the context: %v", ins)
			}
			reg[ins.Dst] = uint64(binary.LittleEndian.Uint32(ctx[ins.Offset:]))
		case op.Class() == asm.ALUClass:
			v := uint32(ins.Constant)
			if op.Source() == asm.RegSource {
				v = uint32(reg[ins.Src])
			}
			d := uint32(reg[ins.Dst])
			switch op.ALUOp() {
			case asm.And:
				d &= v
			case asm.RSh:
				d >>= v
			case asm.Mov:
				d = v
			default:
				t.Fatalf("unexpected instruction %v", ins)
			}
			reg[ins.Dst] = uint64(d)
		case op.JumpOp() == asm.Exit:
			return reg[asm.R0] == 1
		case op.Class() == asm.Jump32Class && op.JumpOp() == asm.JNE:
			if uint32(reg[ins.Dst]) != uint32(ins.Constant) {
				to, ok := offsets[ins.Reference()]
				if !ok {
					t.Fatalf("jump to unknown label %q", ins.Reference())
				}
				pc = to
				continue
			}
		default:
			t.Fatalf("unexpected instruction %v", ins)
		}
		pc++
	}
	t.Fatal("program ran off its end")
	return false
}

// testRules is a typical engine list: deny all, allow /dev/null, the pty devices and read-only
// /dev/sda, deny writes to a char device the defaults allow.
var testRules = []specs.LinuxDeviceCgroup{
	{Allow: false, Access: "rwm"},
	{Allow: true, Type: "c", Major: i64(1), Minor: i64(3), Access: "rwm"},
	{Allow: true, Type: "c", Major: i64(136), Access: "rwm"},
	{Allow: true, Type: "b", Major: i64(8), Minor: i64(0), Access: "r"},
}

func TestDeviceProgramMatchesDecide(t *testing.T) {
	lists := map[string][]specs.LinuxDeviceCgroup{
		"engine":     testRules,
		"allow all":  {{Allow: true, Access: "rwm"}},
		"deny after": {{Allow: true, Access: "rwm"}, {Allow: false, Type: "c", Major: i64(1), Minor: i64(11), Access: "w"}},
		"deny all":   {{Allow: false}},
	}
	for name, spec := range lists {
		t.Run(name, func(t *testing.T) {
			rules, err := compileRules(spec)
			if err != nil {
				t.Fatal(err)
			}
			prog := deviceProgram(rules)
			for _, typ := range []uint32{devTypeBlock, devTypeChar} {
				for _, mm := range [][2]uint32{{1, 3}, {1, 5}, {1, 11}, {136, 4}, {8, 0}, {8, 1}, {10, 200}} {
					for access := uint32(1); access <= accAll; access++ {
						want := decide(rules, int(typ), int64(mm[0]), int64(mm[1]), int(access))
						if got := run(t, prog, typ, mm[0], mm[1], access); got != want {
							t.Errorf("type %d %d:%d access %b: program says %v, rules say %v", typ, mm[0], mm[1], access, got, want)
						}
					}
				}
			}
		})
	}
}

func TestDecide(t *testing.T) {
	rules, err := compileRules(testRules)
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		name         string
		typ          int
		major, minor int64
		access       int
		want         bool
	}{
		{"null rw", devTypeChar, 1, 3, accRead | accWrite, true},
		{"kmsg write denied", devTypeChar, 1, 11, accWrite, false},
		{"zero (default) read", devTypeChar, 1, 5, accRead, true},
		{"pts any minor", devTypeChar, 136, 7, accRead | accWrite, true},
		{"sda read", devTypeBlock, 8, 0, accRead, true},
		{"sda write denied", devTypeBlock, 8, 0, accWrite, false},
		{"sda rw denied", devTypeBlock, 8, 0, accRead | accWrite, false},
		{"mknod any char (default)", devTypeChar, 10, 200, accMknod, true},
		{"mknod any block (default)", devTypeBlock, 7, 0, accMknod, true},
		{"block 1:3 is not /dev/null", devTypeBlock, 1, 3, accRead, false},
	} {
		if got := decide(rules, tt.typ, tt.major, tt.minor, tt.access); got != tt.want {
			t.Errorf("%s: %v, want %v", tt.name, got, tt.want)
		}
	}
}

func TestCompileRuleErrors(t *testing.T) {
	for _, r := range []specs.LinuxDeviceCgroup{
		{Type: "x", Access: "rwm"},
		{Type: "c", Major: i64(1 << 40), Access: "r"},
	} {
		if _, err := compileRules([]specs.LinuxDeviceCgroup{r}); err == nil {
			t.Errorf("rule %+v accepted", r)
		}
	}
}

// TestDeviceProgramLoads: the kernel's verifier accepts the program (it rejects, for one,
// unreachable instructions). Needs root (CAP_BPF/CAP_SYS_ADMIN); attaching it is covered by the
// cgroup v2 VM tests (tests/e2e/v2_test.go).
func TestDeviceProgramLoads(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root (uid 0): loading eBPF programs")
	}
	for name, spec := range map[string][]specs.LinuxDeviceCgroup{
		"engine": testRules, "deny all": {{Allow: false}}, "allow all": {{Allow: true}},
	} {
		rules, err := compileRules(spec)
		if err != nil {
			t.Fatal(err)
		}
		p, err := loadDeviceProgram(rules)
		if errors.Is(err, unix.EPERM) {
			t.Skip("needs CAP_BPF: loading eBPF programs is not permitted here")
		}
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		p.Close()
	}
}
