package spec

import (
	"maps"
	"slices"
	"strings"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// ipcSysctls are the kernel.* sysctls that live in the IPC namespace (ipc/ipc_sysctl.c):
// kernel.msgmax, msgmnb, msgmni, msg_next_id; kernel.sem, sem_next_id; kernel.shmall, shmmax,
// shmmni, shm_rmid_forced, shm_next_id.
var ipcSysctlPrefixes = []string{"kernel.msg", "kernel.sem", "kernel.shm"}

// checkSysctls allows only sysctls that are namespaced, and only when the container has that
// namespace of its own (new or joined): writing any other /proc/sys file from the container would
// change the host for everyone. This is runc's rule, with the IPC list taken from the kernel.
func checkSysctls(p *problems, sysctls map[string]string, ns nsSet) {
	for _, key := range slices.Sorted(maps.Keys(sysctls)) {
		// init writes /proc/sys/<key with dots as slashes>; a name with "/" or ".." could reach
		// a file outside the namespaced subtree that was checked here.
		if key == "" || strings.ContainsAny(key, "/\x00") || strings.Contains(key, "..") ||
			strings.HasPrefix(key, ".") || strings.HasSuffix(key, ".") {
			p.add("linux.sysctl: %q is not a sysctl name", key)
			continue
		}
		switch {
		case hasAnyPrefix(key, ipcSysctlPrefixes) || strings.HasPrefix(key, "fs.mqueue."):
			if !ns.has(specs.IPCNamespace) {
				p.add("linux.sysctl: %q needs an ipc namespace in linux.namespaces (it would change the host)", key)
			}
		case strings.HasPrefix(key, "net."):
			if !ns.has(specs.NetworkNamespace) {
				p.add("linux.sysctl: %q needs a network namespace in linux.namespaces (it would change the host)", key)
			}
		case key == "kernel.hostname":
			// The dedicated field exists; two ways to say it could disagree.
			p.add("linux.sysctl: %q conflicts with the hostname field: set hostname instead", key)
		case key == "kernel.domainname":
			// Namespaced by UTS. Accepted like runc does, although the domainname field now
			// exists, because docker still passes --domainname as this sysctl.
			if !ns.has(specs.UTSNamespace) {
				p.add("linux.sysctl: %q needs a uts namespace in linux.namespaces (it would change the host)", key)
			}
		default:
			p.add("linux.sysctl: %q is not namespaced: setting it in a container would change the host", key)
		}
	}
}

func hasAnyPrefix(s string, prefixes []string) bool {
	for _, p := range prefixes {
		if strings.HasPrefix(s, p) {
			return true
		}
	}
	return false
}
