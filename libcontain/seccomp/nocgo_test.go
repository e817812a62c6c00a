//go:build !cgo

package seccomp

import (
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

func TestNoCgoRefuses(t *testing.T) {
	if _, err := Build(&specs.LinuxSeccomp{DefaultAction: specs.ActAllow}); err == nil {
		t.Fatal("Build without libseccomp succeeded")
	}
	if _, err := Jail(); err == nil {
		t.Fatal("Jail without libseccomp succeeded")
	}
	if Supported() {
		t.Fatal("Supported without libseccomp")
	}
}
