// Package protocol is what the runtime (the parent) and the process it starts (init for create,
// the new process for exec) say to each other before that process execs: the messages on the
// sync socket and their order, the config the parent sends, the error the child reports, the fds
// the child finds open, and the JSON lines of the log pipe. Both sides import it; it imports
// neither.
package protocol

import specs "github.com/opencontainers/runtime-spec/specs-go"

// One SOCK_SEQPACKET socketpair, one JSON message per packet, fds by SCM_RIGHTS. Every
// rendezvous has a name; the order is fixed and checked on both ends.
//
//	message          direction       reply            meaning
//	config           parent → child  —                everything the child needs (spec, rootfs, state for hooks)
//	mount-source     child → parent  mount-source-fd  init only, before its first step (hooks, or
//	                                                  console or ready without them), any number of times: the
//	                                                  runtime opens bind source number Index of the spec
//	                                                  (id-mapped, or one init cannot open from its user
//	                                                  namespace) in init's mount namespace
//	mount-source-fd  parent → child  —                that source (SCM_RIGHTS); Detached: an open_tree copy
//	hooks            child → parent  hooks-done       init only: mounts are done, parent runs prestart +
//	                                                  createRuntime hooks; only when the spec has some
//	                                                  (RuntimeHooks), a round trip saved otherwise
//	console          child → parent  —                the pty master (SCM_RIGHTS), only when process.terminal
//	ready            child → parent  ready-ack        pre-exec setup done: parent applies rlimits (init:
//	                                                  cgroup limits, monitor, saves state)
//	seccomp          child → parent  —                the seccomp notify listener fd (SCM_RIGHTS), only when
//	                                                  the profile uses SCMP_ACT_NOTIFY: parent passes it on
//	error            child → parent  —                setup failed (op, message, errno); the child exits
//	(EOF)            child → parent  —                the child closed its end: it is about to exec (init:
//	                                                  blocked on exec.fifo), the launch succeeded
type Msg string

const (
	MsgConfig Msg = "config"
	MsgHooks  Msg = "hooks"
	// MsgMountSource and its reply MsgMountSourceFd come before init's first step, any number of
	// times (conn.sources).
	MsgMountSource   Msg = "mount-source"
	MsgMountSourceFd Msg = "mount-source-fd"
	MsgHooksDone     Msg = "hooks-done"
	MsgConsole       Msg = "console"
	MsgReady         Msg = "ready"
	MsgReadyAck      Msg = "ready-ack"
	MsgSeccomp       Msg = "seccomp"
	MsgError         Msg = "error"
	MsgEOF           Msg = "" // not sent: what a closed peer reads as
)

// Kind is which child the parent starts: init of a new container, or a process exec'd into a
// running one (no mounts, no hooks).
type Kind int

const (
	KindInit Kind = iota
	KindExec
)

func (k Kind) String() string {
	if k == KindExec {
		return "exec"
	}
	return "init"
}

type message struct {
	Type   Msg          `json:"type"`
	Config *InitConfig  `json:"config,omitempty"`
	Error  *InitError   `json:"error,omitempty"`
	Source *MountSource `json:"source,omitempty"`
	fd     int          // passed alongside by SCM_RIGHTS; -1 when none
}

// MountSource is the payload of MsgMountSource (Index) and MsgMountSourceFd (Detached).
type MountSource struct {
	Index    int  `json:"index"`              // which of the spec's mounts
	Detached bool `json:"detached,omitempty"` // the fd is a mount of its own: attach it with move_mount
}

// ParentOrder is what the parent must receive, in order, from a child of kind k. An error
// message may replace any step.
func ParentOrder(k Kind, hooks, terminal, seccompNotify bool) []Msg {
	var order []Msg
	if k == KindInit && hooks {
		order = append(order, MsgHooks)
	}
	if terminal {
		order = append(order, MsgConsole)
	}
	order = append(order, MsgReady)
	if seccompNotify {
		order = append(order, MsgSeccomp)
	}
	return append(order, MsgEOF)
}

// childOrder is what the child must receive, in order.
func childOrder(k Kind, hooks bool) []Msg {
	if k == KindExec || !hooks {
		return []Msg{MsgConfig, MsgReadyAck}
	}
	return []Msg{MsgConfig, MsgHooksDone, MsgReadyAck}
}

// RuntimeHooks reports whether s has hooks the runtime runs at init's hooks step (prestart,
// createRuntime): without them both ends leave the step out.
func RuntimeHooks(s *specs.Spec) bool {
	//lint:ignore SA1019 prestart is deprecated but still sent by clients and run by runc
	return s != nil && s.Hooks != nil && (len(s.Hooks.Prestart) > 0 || len(s.Hooks.CreateRuntime) > 0)
}

func describe(t Msg) string {
	if t == MsgEOF {
		return "EOF"
	}
	return string(t)
}
