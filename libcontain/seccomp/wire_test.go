//go:build cgo

package seccomp

import (
	"encoding/json"
	"reflect"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// TestWireRoundTrip: what init decodes is the program, flags and notify mark the runtime built,
// for the profiles of every client kind and the jail.
func TestWireRoundTrip(t *testing.T) {
	jail, err := Jail()
	if err != nil {
		t.Fatal(err)
	}
	notify := &specs.LinuxSeccomp{
		DefaultAction: specs.ActAllow, ListenerPath: "/run/agent.sock",
		Flags:    []specs.LinuxSeccompFlag{specs.LinuxSeccompFlagLog},
		Syscalls: []specs.LinuxSyscall{{Names: []string{"mkdir"}, Action: specs.ActNotify}},
	}
	filters := []*Filter{jail}
	for _, s := range []*specs.LinuxSeccomp{loadProfile(t, "testdata/podman-like.json"), loadProfile(t, "testdata/runtime-tools-default.json"), notify} {
		f, err := Build(s)
		if err != nil {
			t.Fatal(err)
		}
		filters = append(filters, f)
	}
	b, err := json.Marshal(filters)
	if err != nil {
		t.Fatal(err)
	}
	var got []*Filter
	if err := json.Unmarshal(b, &got); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, filters) {
		t.Fatal("filters differ after a round trip through JSON")
	}
	if !got[3].Notify() || got[1].Notify() {
		t.Fatalf("notify marks: %v %v, want false true", got[1].Notify(), got[3].Notify())
	}
}

// TestWireRefuses: init loads nothing the kernel could not take or that lies about its listener.
func TestWireRefuses(t *testing.T) {
	for name, in := range map[string]string{
		"empty":          `{"prog":""}`,
		"ragged":         `{"prog":"AAAAAAAAAAAA"}`,
		"too long":       `{"prog":"` + longProg() + `"}`,
		"unknown flag":   `{"prog":"BgAAAAAA/38=","flags":1024}`,
		"tsync":          `{"prog":"BgAAAAAA/38=","flags":1}`,
		"notify no flag": `{"prog":"BgAAAAAA/38=","notify":true}`,
		"flag no notify": `{"prog":"BgAAAAAA/38=","flags":8}`,
		"not an object":  `[1]`,
	} {
		var f Filter
		if err := json.Unmarshal([]byte(in), &f); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	var f Filter
	if err := json.Unmarshal([]byte(`{"prog":"BgAAAAAA/38="}`), &f); err != nil || f.Len() != 1 {
		t.Fatalf("one RET ALLOW: %v, %d instructions", err, f.Len())
	}
}

// longProg is 4097 instructions, base64: one more than the kernel takes.
func longProg() string {
	b, _ := json.Marshal(make([]byte, 8*(maxInstructions+1)))
	return string(b[1 : len(b)-1])
}

// FuzzWire: any bytes decode to an error or to a filter that encodes back to the same program.
func FuzzWire(f *testing.F) {
	f.Add([]byte(`{"prog":"BgAAAAAA/38="}`))
	f.Add([]byte(`{"prog":"BgAAAAAA/38=","flags":8,"notify":true}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		var a Filter
		if err := json.Unmarshal(data, &a); err != nil {
			return
		}
		b, err := json.Marshal(&a)
		if err != nil {
			t.Fatal(err)
		}
		var c Filter
		if err := json.Unmarshal(b, &c); err != nil || !reflect.DeepEqual(a, c) {
			t.Fatalf("round trip: %v", err)
		}
	})
}
