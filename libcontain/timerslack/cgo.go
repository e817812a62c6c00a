//go:build cgo

package timerslack

// #cgo CFLAGS: -std=gnu11 -Wall -Wextra -O2
// extern unsigned long contain_caller_timerslack;
import "C"

// Caller is the timer slack, in ns, of the thread that started this process, when the
// constructor raised the process's own; 0 when it left it as it was.
func Caller() uint64 { return uint64(C.contain_caller_timerslack) }
