//go:build noserve

package main

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/urfave/cli/v2"
	"golang.org/x/sys/unix"
)

// serveBinary is the build of contain with the sandbox server, which `make build` makes beside
// contain and `make install` installs beside it.
const serveBinary = "contain-serve"

// serveAction runs contain-serve with this command line. contain itself is built without the
// server (tag noserve): net/http, crypto/tls and the rest cost every command their package
// initialisers (a `run` took 0.969 of the time without them, 300 interleaved pairs), and only
// `serve` uses them.
func serveAction(c *cli.Context) error {
	return exitWith(c, nil, execServe())
}

func execServe() error {
	self, err := os.Executable()
	if err != nil {
		return fmt.Errorf("find %s: %w", serveBinary, err)
	}
	full := filepath.Join(filepath.Dir(self), serveBinary)
	err = unix.Exec(full, append([]string{full}, os.Args[1:]...), os.Environ())
	return fmt.Errorf("serve runs %s, the build with the sandbox server: %w (make build makes it beside contain, make install installs it)", full, err)
}
