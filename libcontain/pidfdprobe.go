package libcontain

import "os"

// warmPidfdProbe has Go's one-time pidfd probe done now, on another thread. The first
// os.StartProcess (or os.FindProcess) of a process checks that pidfds work: pidfd_open of
// itself, waitid, pidfd_send_signal and a vfork'd child that exits at once, 0.2-0.3 ms here.
// create and exec start exactly one process on their critical path; the probe would otherwise
// sit right before it, while the second CPU idles.
func warmPidfdProbe() {
	go func() {
		if p, err := os.FindProcess(os.Getpid()); err == nil {
			_ = p.Release()
		}
	}()
}
