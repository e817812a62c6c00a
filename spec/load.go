// Package spec loads, validates and generates OCI runtime configs (config.json). It works on
// specs.Spec directly: there is no second config model to convert into.
package spec

import (
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"

	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/contain-runtime/contain/spec/specjson"
)

// ConfigFile is the name of the config in a bundle directory.
const ConfigFile = "config.json"

// missingConfigError says the bundle has no config.json. Its text is runc's, which clients
// (containerd's runc shim, podman) match on; it still unwraps to fs.ErrNotExist.
type missingConfigError struct{ err error }

func (e *missingConfigError) Error() string {
	return "JSON specification file " + ConfigFile + " not found"
}

func (e *missingConfigError) Unwrap() error { return e.err }

// Load reads and parses <bundle>/config.json. It does not validate it: see Validate.
func Load(bundle string) (*specs.Spec, error) {
	b, err := ReadInput(filepath.Join(bundle, ConfigFile), ConfigFile, MaxInputSize)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, &missingConfigError{err: err}
	}
	if err != nil {
		return nil, err
	}
	return Parse(b)
}

// Parse decodes a config.json. Unknown fields are ignored, as runc does, so configs written for
// a newer runtime-spec still load. The result and errors are encoding/json's (see specjson).
func Parse(b []byte) (*specs.Spec, error) {
	var s specs.Spec
	if err := specjson.UnmarshalSpec(b, &s); err != nil {
		return nil, fmt.Errorf("parse %s: %w", ConfigFile, err)
	}
	return &s, nil
}
