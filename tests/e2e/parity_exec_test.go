//go:build linux

package e2e

import (
	"testing"
)

// TestParityExecCap: exec --cap adds the capability to the bounding, effective and permitted
// sets only: not to the inheritable set, and so not to the ambient one of a process that has no
// inheritable set.
func TestParityExecCap(t *testing.T) {
	r := newRunner(t)
	c := r.newContainer(args("sleep", "60"))
	r.must("run", "-d", "--bundle", c.bundle, c.id)
	res := r.must("exec", "--cap", "CAP_NET_ADMIN", c.id, "grep", "^Cap", "/proc/self/status")
	// The bundle's CAP_KILL (bit 5), CAP_NET_BIND_SERVICE (10), CAP_AUDIT_WRITE (29), and
	// CAP_NET_ADMIN (12).
	checkCapSets(t, capSets(t, res.stdout), map[string]string{
		"CapBnd": "0000000020001420",
		"CapEff": "0000000020001420",
		"CapPrm": "0000000020001420",
		"CapInh": "0000000000000000",
		"CapAmb": "0000000000000000",
	})
}
