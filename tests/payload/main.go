// Command payload is a tiny purpose-built program that tests copy into a container's rootfs,
// for what busybox cannot do. Build it static (CGO_ENABLED=0): the rootfs has no libc.
//
//	payload notify MSG    send MSG to the unix datagram socket $NOTIFY_SOCKET (sd_notify)
package main

import (
	"fmt"
	"net"
	"os"
)

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "payload:", err)
		os.Exit(1)
	}
}

func run(args []string) error {
	if len(args) == 2 && args[0] == "notify" {
		path := os.Getenv("NOTIFY_SOCKET")
		if path == "" {
			return fmt.Errorf("NOTIFY_SOCKET is not set")
		}
		c, err := net.DialUnix("unixgram", nil, &net.UnixAddr{Name: path, Net: "unixgram"})
		if err != nil {
			return err
		}
		defer c.Close()
		_, err = c.Write([]byte(args[1]))
		return err
	}
	return fmt.Errorf("usage: payload notify MSG")
}
