//go:build cgo

package libcshim

// This file makes cgo compile fortify.c into the binary.

// #cgo CFLAGS: -std=gnu11 -Wall -Wextra -O2
import "C"
