//go:build jsongen

package protocol

import "reflect"

// MessageType is the message type for jsongen (gen/main.go), which cannot name an unexported
// type: this file is in the package only while config_gen.go is written (tag jsongen).
var MessageType = reflect.TypeFor[message]()
