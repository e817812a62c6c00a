package systemd

import (
	"strings"
	"testing"
)

func TestAnnotationProperties(t *testing.T) {
	_, err := AnnotationProperties(map[string]string{
		"org.systemd.property.TimeoutStopSec": "15",
		"org.systemd.property.RestartSec.foo": "1", // not a property name: refused below
	})
	if err == nil || !strings.Contains(err.Error(), "not an ASCII letter") {
		t.Fatalf("err = %v, want the bad name refused", err)
	}
	props, err := AnnotationProperties(map[string]string{
		"org.systemd.property.TimeoutStopSec": "15",
		"org.systemd.property.CollectMode":    "'inactive-or-failed'",
		"org.systemd.property.RuntimeMaxUSec": "uint64 5",
		"org.systemd.property.SendSIGHUP":     "true",
		"io.contain.volumes":                  "ignored",
	})
	if err != nil {
		t.Fatal(err)
	}
	want := "CollectMode s inactive-or-failed|RuntimeMaxUSec t 5|SendSIGHUP b true|TimeoutStopUSec t 15000000"
	if got := strings.Join(render(props), "|"); got != want {
		t.Fatalf("got  %s\nwant %s", got, want)
	}
	for k, v := range map[string]string{
		"org.systemd.property.Ab":             "1",
		"org.systemd.property.TimeoutStopSec": "'x'",
		"org.systemd.property.DelaySec":       "-1",
		"org.systemd.property.Foo":            "[1,",
	} {
		if _, err := AnnotationProperties(map[string]string{k: v}); err == nil {
			t.Errorf("%s=%s accepted", k, v)
		}
	}
}
