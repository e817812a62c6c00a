package initproc

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// writeSysctls writes each key under /proc/sys (kernel.shmmax → /proc/sys/kernel/shmmax). Keys
// were validated against the namespaced set at create.
func writeSysctls(sysctl map[string]string) error {
	for k, v := range sysctl {
		p := filepath.Join("/proc/sys", strings.ReplaceAll(k, ".", "/"))
		if err := os.WriteFile(p, []byte(v), 0); err != nil {
			return fmt.Errorf("%s=%s: %w", k, v, err)
		}
	}
	return nil
}
