package devicerules

import (
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

func TestV1(t *testing.T) {
	n := func(v int64) *int64 { return &v }
	tests := []struct {
		name       string
		rule       specs.LinuxDeviceCgroup
		file, line string
		wantErr    bool
	}{
		{"deny all", specs.LinuxDeviceCgroup{Access: "rwm"}, "devices.deny", "a *:* rwm", false},
		{"defaults", specs.LinuxDeviceCgroup{}, "devices.deny", "a *:* rwm", false},
		{"null", specs.LinuxDeviceCgroup{Allow: true, Type: "c", Major: n(1), Minor: n(3), Access: "rwm"}, "devices.allow", "c 1:3 rwm", false},
		{"wildcard minor", specs.LinuxDeviceCgroup{Allow: true, Type: "c", Major: n(136), Minor: n(-1), Access: "rw"}, "devices.allow", "c 136:* rw", false},
		{"block mknod", specs.LinuxDeviceCgroup{Allow: true, Type: "b", Access: "m"}, "devices.allow", "b *:* m", false},
		{"bad type", specs.LinuxDeviceCgroup{Type: "p"}, "", "", true},
		{"unknown access letters dropped (runc's rwa)", specs.LinuxDeviceCgroup{Type: "c", Major: n(1), Minor: n(11), Access: "rwa"}, "devices.deny", "c 1:11 rw", false},
		{"no known access letter", specs.LinuxDeviceCgroup{Access: "x"}, "", "", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			file, line, err := V1(tt.rule)
			if (err != nil) != tt.wantErr || file != tt.file || line != tt.line {
				t.Fatalf("V1 = %q, %q, %v", file, line, err)
			}
		})
	}
}

func TestWithDefaultsAccess(t *testing.T) {
	got := WithDefaults([]specs.LinuxDeviceCgroup{{Access: "rwa"}, {Type: "c", Access: "a"}, {Type: "b"}})
	if n := len(got) - len(Defaults()); n != 2 || got[0].Access != "rw" || got[1].Type != "b" || got[1].Access != "rwm" {
		t.Fatalf("WithDefaults = %+v", got[:len(got)-len(Defaults())])
	}
}

func TestWithDefaults(t *testing.T) {
	if WithDefaults(nil) != nil {
		t.Fatal("no rules must stay empty")
	}
	rules := []specs.LinuxDeviceCgroup{{Access: "rwm"}}
	got := WithDefaults(rules)
	if len(got) != 1+len(Defaults()) || got[0].Allow {
		t.Fatalf("spec rules must come first: %+v", got)
	}
	for _, r := range Defaults() {
		if _, _, err := V1(r); err != nil {
			t.Fatalf("default %+v: %v", r, err)
		}
	}
}

// TestDefaultsAreRuncs pins the default list to runc 1.5.3's (specconv.AllowedDevices), written
// out as the v1 lines the kernel gets. In particular the host console, c 5:1, is not in it.
func TestDefaultsAreRuncs(t *testing.T) {
	want := []string{
		"c *:* m", "b *:* m", "c 1:3 rwm", "c 1:8 rwm", "c 1:7 rwm", "c 5:0 rwm",
		"c 1:5 rwm", "c 1:9 rwm", "c 136:* rwm", "c 5:2 rwm", "c 10:200 rwm",
	}
	got := Defaults()
	if len(got) != len(want) {
		t.Fatalf("%d default rules, want %d", len(got), len(want))
	}
	for i, r := range got {
		file, line, err := V1(r)
		if err != nil || file != "devices.allow" || line != want[i] {
			t.Errorf("rule %d = %s %q (%v), want devices.allow %q", i, file, line, err, want[i])
		}
	}
}
