//go:build containinit

package initexe

import _ "embed" // the Makefile builds both files before contain (see its build target)

// The init binary and its sha256, hex: the name it is installed under.
var (
	//go:embed contain-init
	embedded string
	//go:embed contain-init.sum
	embeddedSum string
)

func image() (bin, sum string) { return embedded, embeddedSum }
