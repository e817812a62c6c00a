package state

import (
	"encoding/json"
	"testing"
)

func TestParseState(t *testing.T) {
	tests := []struct {
		name string
		data string
		ok   bool
	}{
		{"minimal", `{"ociVersion":"1.3.0","id":"c1","status":"created","pid":12,"bundle":"/b"}`, true},
		{"unknown fields ignored", `{"id":"c1","future":{"x":1}}`, true},
		{"not json", `{`, false},
		{"bad id", `{"id":"../x"}`, false},
		{"missing id", `{"pid":1}`, false},
		{"negative pid", `{"id":"c1","pid":-1}`, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseState([]byte(tt.data))
			if (err == nil) != tt.ok {
				t.Fatalf("ParseState(%s) = %v, want ok=%v", tt.data, err, tt.ok)
			}
		})
	}
}

// TestStateJSONFlat checks the OCI fields are at the top level of state.json (the embedded
// specs.State is flattened), as runc's state.json and `runc state` clients expect.
func TestStateJSONFlat(t *testing.T) {
	st := &State{Summary: Summary{InitStartTime: 7, Rootfs: "/r"}}
	st.ID, st.Pid, st.Version = "c1", 3, "1.3.0"
	data, err := json.Marshal(st)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(data, &m); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"ociVersion", "id", "pid", "initStartTime", "rootfs", "created"} {
		if _, ok := m[k]; !ok {
			t.Errorf("state.json lacks top-level %q: %s", k, data)
		}
	}
}

func FuzzParseState(f *testing.F) {
	f.Add([]byte(`{"ociVersion":"1.3.0","id":"c1","status":"created","pid":12,"bundle":"/b","cgroupPaths":{"":"/x"}}`))
	f.Add([]byte(`{"id":".."}`))
	f.Add([]byte(`null`))
	f.Fuzz(func(t *testing.T, data []byte) {
		st, err := ParseState(data)
		if err != nil {
			return
		}
		if ValidateID(st.ID) != nil || st.Pid < 0 {
			t.Fatalf("accepted state with id %q pid %d", st.ID, st.Pid)
		}
	})
}
