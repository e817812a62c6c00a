//go:build linux

package cri

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"golang.org/x/net/websocket"
)

// A client of the CRI streaming server's exec endpoint (the URL Exec returns) over WebSocket
// with the channel protocol kubectl and the API server speak: every binary message starts with
// its channel (0 stdin, 1 stdout, 2 stderr, 3 error, 4 resize). In v4 the error channel carries
// the final status as JSON, with the exit code of a failed command.

const (
	chanStdin  = 0
	chanStdout = 1
	chanStderr = 2
	chanError  = 3
)

type streamResult struct {
	stdout, stderr []byte
	exitCode       int
}

// execStatus is the v4 error channel's status object.
type execStatus struct {
	Status  string `json:"status"`
	Reason  string `json:"reason"`
	Message string `json:"message"`
	Details struct {
		Causes []struct {
			Reason  string `json:"reason"`
			Message string `json:"message"`
		} `json:"causes"`
	} `json:"details"`
}

// streamExec connects to an exec URL, sends stdin (if not nil) and collects the output until the
// server closes the stream.
func streamExec(url string, stdin []byte) (streamResult, error) {
	var res streamResult
	cfg, err := websocket.NewConfig(strings.Replace(url, "http://", "ws://", 1), "http://127.0.0.1/")
	if err != nil {
		return res, err
	}
	cfg.Protocol = []string{"v4.channel.k8s.io"}
	ws, err := websocket.DialConfig(cfg)
	if err != nil {
		return res, fmt.Errorf("dial: %w", err)
	}
	defer ws.Close()
	ws.SetDeadline(time.Now().Add(30 * time.Second))
	if stdin != nil {
		if err := websocket.Message.Send(ws, append([]byte{chanStdin}, stdin...)); err != nil {
			return res, fmt.Errorf("send stdin: %w", err)
		}
	}
	var status []byte
	for {
		var msg []byte
		if err := websocket.Message.Receive(ws, &msg); err != nil {
			if errors.Is(err, io.EOF) {
				break
			}
			return res, fmt.Errorf("receive: %w", err)
		}
		if len(msg) == 0 {
			continue
		}
		switch msg[0] {
		case chanStdout:
			res.stdout = append(res.stdout, msg[1:]...)
		case chanStderr:
			res.stderr = append(res.stderr, msg[1:]...)
		case chanError:
			status = append(status, msg[1:]...)
		}
	}
	if len(status) == 0 {
		return res, errors.New("the stream closed without a status on the error channel")
	}
	var st execStatus
	if err := json.Unmarshal(status, &st); err != nil {
		return res, fmt.Errorf("status %q: %w", status, err)
	}
	if st.Status == "Success" {
		return res, nil
	}
	for _, c := range st.Details.Causes {
		if c.Reason == "ExitCode" {
			res.exitCode, err = strconv.Atoi(c.Message)
			return res, err
		}
	}
	return res, fmt.Errorf("exec failed: %s", status)
}
