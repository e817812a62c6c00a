//go:build cgo

package seccomp

import (
	"fmt"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	libseccomp "github.com/seccomp/libseccomp-golang"
	"golang.org/x/sys/unix"
)

// actions maps the OCI action names to libseccomp's. SCMP_ACT_KILL is the historical name of
// KILL_THREAD (the kernel's SECCOMP_RET_KILL): only the thread dies, which is why profiles that
// mean "kill the container process" should say SCMP_ACT_KILL_PROCESS.
var actions = map[specs.LinuxSeccompAction]libseccomp.ScmpAction{
	specs.ActKill:        libseccomp.ActKillThread,
	specs.ActKillThread:  libseccomp.ActKillThread,
	specs.ActKillProcess: libseccomp.ActKillProcess,
	specs.ActTrap:        libseccomp.ActTrap,
	specs.ActErrno:       libseccomp.ActErrno,
	specs.ActTrace:       libseccomp.ActTrace,
	specs.ActAllow:       libseccomp.ActAllow,
	specs.ActLog:         libseccomp.ActLog,
	specs.ActNotify:      libseccomp.ActNotify,
}

// maxRetData is the largest errnoRet seccomp can carry: SECCOMP_RET_DATA is the low 16 bits of
// the filter's return value. (The kernel then clamps an errno above MAX_ERRNO, 4095.)
const maxRetData = 0xffff

// convertAction turns an OCI action and its optional errnoRet into a libseccomp action.
// Without errnoRet, ERRNO returns EPERM, and TRACE hands EPERM to the tracer as its event
// message, as runc does, so profiles behave the same under both runtimes.
func convertAction(a specs.LinuxSeccompAction, errnoRet *uint) (libseccomp.ScmpAction, error) {
	act, ok := actions[a]
	if !ok {
		return libseccomp.ActInvalid, fmt.Errorf("unknown action %q", a)
	}
	if act != libseccomp.ActErrno && act != libseccomp.ActTrace {
		if errnoRet != nil {
			return libseccomp.ActInvalid, fmt.Errorf("errnoRet is only valid with SCMP_ACT_ERRNO or SCMP_ACT_TRACE, not %s", a)
		}
		return act, nil
	}
	ret := uint(unix.EPERM)
	if errnoRet != nil {
		ret = *errnoRet
		if ret > maxRetData {
			return libseccomp.ActInvalid, fmt.Errorf("errnoRet %d does not fit in seccomp's 16-bit return data", ret)
		}
	}
	return act.SetReturnCode(int16(uint16(ret))), nil
}
