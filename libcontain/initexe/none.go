//go:build !containinit

package initexe

// Without the containinit tag (plain `go build`, `go test`) nothing is embedded: contain starts
// itself as init, as it always can.
func image() (bin, sum string) { return "", "" }
