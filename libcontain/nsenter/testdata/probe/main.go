// Command probe is the payload of the nsenter tests that need a separate binary: the static build
// check and the fast-path timing. It prints its hostname and its uts namespace and exits.
//
// Built with -tags nonsenter it leaves package nsenter out (but still links cgo), as the
// baseline for measuring what the constructor costs a run that does not join anything.
package main

import (
	"fmt"
	"os"
)

func main() {
	host, _ := os.Hostname()
	uts, _ := os.Readlink("/proc/self/ns/uts")
	fmt.Println(host, uts)
}
