//go:build !nonsenter

package main

import _ "github.com/contain-runtime/contain/libcontain/nsenter"
