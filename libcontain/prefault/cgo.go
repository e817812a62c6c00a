//go:build cgo

package prefault

// The constructor is all there is: this file makes cgo compile prefault.c into the binary.

// #cgo CFLAGS: -std=gnu11 -Wall -Wextra -O2
import "C"
