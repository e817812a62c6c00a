//go:build linux

package cri

import (
	"strings"
	"testing"
)

// A pod with a shared pid namespace (shareProcessNamespace: true): the pause process is PID 1
// of every container, and each container sees the others' processes.
func TestSharedPIDNamespace(t *testing.T) {
	eachHandler(t, "pod: shared pid namespace", func(t *testing.T, h handler) {
		p := newPod(t, h, "sharedpid-"+h.name, podOptions{sharedPID: true})
		a := p.start(t, containerConfig("a", "exec sleep 3601"))
		b := p.start(t, containerConfig("b", "exec sleep 3602"))
		if got := b.sh(t, "tr '\\0' ' ' </proc/1/cmdline"); got != "/pause" {
			t.Errorf("PID 1 in container b runs %q, want the sandbox's /pause", got)
		}
		if got := b.sh(t, "ps -o args"); !strings.Contains(got, "sleep 3601") {
			t.Errorf("container b does not see container a's process:\n%s", got)
		}
		if na, nb := a.sh(t, "readlink /proc/self/ns/pid"), b.sh(t, "readlink /proc/self/ns/pid"); na != nb {
			t.Errorf("pid namespaces differ: a %s, b %s", na, nb)
		}
		if host, ctr := nsOf(t, "self", "pid"), a.sh(t, "readlink /proc/self/ns/pid"); host == ctr {
			t.Errorf("the pod shares the host's pid namespace %s", host)
		}
	})
}

// By default each container has a pid namespace of its own: its command is PID 1, and it sees
// neither the pause process nor its sibling.
func TestContainerPIDNamespace(t *testing.T) {
	eachHandler(t, "pod: pid namespace per container", func(t *testing.T, h handler) {
		p := newPod(t, h, "ownpid-"+h.name, podOptions{})
		a := p.start(t, containerConfig("a", "exec sleep 3601"))
		b := p.start(t, containerConfig("b", "exec sleep 3602"))
		if got := b.sh(t, "tr '\\0' ' ' </proc/1/cmdline"); got != "sleep 3602" {
			t.Errorf("PID 1 in container b runs %q, want its own command", got)
		}
		if got := b.sh(t, "ps -o args"); strings.Contains(got, "sleep 3601") || strings.Contains(got, "pause") {
			t.Errorf("container b sees other containers' processes:\n%s", got)
		}
		if na, nb := a.sh(t, "readlink /proc/self/ns/pid"), b.sh(t, "readlink /proc/self/ns/pid"); na == nb {
			t.Errorf("containers a and b share the pid namespace %s", na)
		}
	})
}
