package protocol

import (
	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/contain-runtime/contain/libcontain/rootfs"
	"github.com/contain-runtime/contain/libcontain/seccomp"
)

// InitConfig is everything the child needs, sent as the `config` message.
type InitConfig struct {
	Spec        *specs.Spec       `json:"spec"`
	Rootfs      string            `json:"rootfs"`
	NoPivot     bool              `json:"noPivot,omitempty"`
	CgroupPaths map[string]string `json:"cgroupPaths,omitempty"`
	// JoinCgroups are v1 cgroup dirs init moves its thread into before anything else, by
	// writing 0 to their tasks files: create started it before they existed (earlyInit).
	JoinCgroups []string        `json:"joinCgroups,omitempty"`
	State       specs.State     `json:"state"` // what createContainer/startContainer hooks get
	Debug       bool            `json:"debug,omitempty"`
	Overlay     *rootfs.Overlay `json:"overlay,omitempty"`
	Progress    bool            `json:"progress,omitempty"` // report steps as progress log lines
	// Seccomp are the filters to load, compiled by the runtime (the jail's first): init links no
	// libseccomp.
	Seccomp []*seccomp.Filter `json:"seccomp,omitempty"`
	Exec    bool              `json:"exec,omitempty"` // exec into a running container, not create
	Setup   ProcessSetup      `json:"setup"`
	// HugePages: the child started with transparent huge pages off (prctl PR_SET_THP_DISABLE,
	// so the runtime's pages fit a small memory limit) and turns them back on before it becomes
	// the container's process, which gets the host's THP policy as under runc.
	HugePages bool `json:"hugePages,omitempty"`
	// TimerSlack is the runtime's caller's timer slack (ns; 0: unchanged), which the process
	// gets back right before it is exec'd, and the hooks init runs get: see package timerslack.
	TimerSlack uint64 `json:"timerSlack,omitempty"`
}
