//go:build !cgo

package nsenter

// Without cgo the constructor in nsenter.c is not built, and a binary that Prepare starts would
// run its program in the wrong namespaces. Refuse to compile instead, with a message that says so.
var _ int = "package nsenter needs cgo (CGO_ENABLED=1): its constructor must run before the Go runtime"
