//go:build nonsenter

package main

// Keeps the baseline a cgo binary like the real one, so the comparison isolates the constructor.
import _ "runtime/cgo"
