//go:build nonsenter

// Keeps the baseline a cgo binary like the real one (when cgo is enabled), so the comparison
// isolates the constructor.

package main

import "C"
