// Command contain-init is the container's init for `contain create` and `run` (package initproc),
// built on its own: no cgo and so no libc to start, 32 package initialisers instead of the
// runtime's 124, and a quarter of its size. contain embeds it (package initexe) and starts it
// instead of itself where init needs nothing only the runtime binary has: nsenter's constructor,
// which joins existing namespaces before the Go runtime starts, and the user-namespace holder.
//
// The same GOMAXPROCS settings as contain's main package: see main.go.
//
//go:debug containermaxprocs=0
//go:debug updatemaxprocs=0
package main

import (
	"fmt"
	"os"
	"runtime"

	"github.com/contain-runtime/contain/libcontain/initproc"
)

// nsenterEnv is package nsenter's request variable. This binary has no constructor to act on it:
// a launcher that set it has picked the wrong binary, and going on would set the container up in
// the runtime's namespaces.
const nsenterEnv = "_CONTAIN_NSENTER"

func init() {
	// initproc.Init's contract: main is locked to its thread before the runtime starts others.
	runtime.LockOSThread()
}

func main() {
	if len(os.Args) != 2 || os.Args[1] != "init" {
		fmt.Fprintln(os.Stderr, "contain-init: started by contain only, as `contain init`")
		os.Exit(2)
	}
	if _, ok := os.LookupEnv(nsenterEnv); ok {
		fmt.Fprintln(os.Stderr, "contain-init: asked to join namespaces, which only contain itself can")
		os.Exit(1)
	}
	if err := initproc.Init(); err != nil {
		os.Exit(1)
	}
	os.Exit(0)
}
