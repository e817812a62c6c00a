package spec

import (
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestParsePortRanges(t *testing.T) {
	tests := []struct {
		in      string
		want    PortRanges
		wantErr string
	}{
		{in: "8080", want: PortRanges{{8080, 8080}}},
		{in: "31000-31005,8080", want: PortRanges{{8080, 8080}, {31000, 31005}}},
		{in: " 80 , 443 ", want: PortRanges{{80, 80}, {443, 443}}},
		{in: "1-65535", want: PortRanges{{1, 65535}}},
		{in: "10-20,15-30,31", want: PortRanges{{10, 31}}},
		{in: "10-20,22", want: PortRanges{{10, 20}, {22, 22}}},
		{in: "5-5", want: PortRanges{{5, 5}}},
		{in: "0080", want: PortRanges{{80, 80}}},
		{in: "", wantErr: "empty"},
		{in: "  ", wantErr: "empty"},
		{in: "80,", wantErr: "empty item"},
		{in: ",80", wantErr: "empty item"},
		{in: "80,,81", wantErr: "empty item"},
		{in: "0", wantErr: "port 0"},
		{in: "0-10", wantErr: "port 0"},
		{in: "65536", wantErr: "out of range"},
		{in: "1-99999999999999999999", wantErr: "out of range"},
		{in: "20-10", wantErr: "reversed"},
		{in: "http", wantErr: "not a number"},
		{in: "-80", wantErr: "not a number"},
		{in: "80-", wantErr: "not a number"},
		{in: "1-2-3", wantErr: "not a number"},
		{in: "+80", wantErr: "not a number"},
		{in: "0x50", wantErr: "not a number"},
		{in: "8_0", wantErr: "not a number"},
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			got, err := ParsePortRanges(tc.in)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("ParsePortRanges(%q) = %v, %v; want error containing %q", tc.in, got, err, tc.wantErr)
				}
				return
			}
			if err != nil || !reflect.DeepEqual(got, tc.want) {
				t.Fatalf("ParsePortRanges(%q) = %v, %v; want %v", tc.in, got, err, tc.want)
			}
		})
	}
}

func TestPortRangesContains(t *testing.T) {
	r := PortRanges{{80, 80}, {31000, 31005}}
	for p, want := range map[uint16]bool{80: true, 79: false, 81: false, 31000: true, 31005: true, 31006: false, 0: false, 65535: false} {
		if got := r.Contains(p); got != want {
			t.Errorf("Contains(%d) = %v, want %v", p, got, want)
		}
	}
	if (PortRanges)(nil).Contains(80) {
		t.Error("nil ranges contain 80")
	}
	if s := r.String(); s != "80,31000-31005" {
		t.Errorf("String() = %q", s)
	}
}

func TestParseInterval(t *testing.T) {
	tests := []struct {
		in   string
		want time.Duration
		ok   bool
	}{
		{"15s", 15 * time.Second, true},
		{"100ms", 100 * time.Millisecond, true},
		{"1h", time.Hour, true},
		{" 2s ", 2 * time.Second, true},
		{"99ms", 0, false},
		{"0", 0, false},
		{"-1s", 0, false},
		{"15", 0, false},
		{"", 0, false},
		{"1y", 0, false},
		{"9999999999h", 0, false},
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			got, err := ParseInterval(tc.in)
			if (err == nil) != tc.ok || got != tc.want {
				t.Fatalf("ParseInterval(%q) = %v, %v; want %v ok=%v", tc.in, got, err, tc.want, tc.ok)
			}
		})
	}
}

func TestParseAnnotations(t *testing.T) {
	tests := []struct {
		name string
		in   map[string]string
		want *Isolators
	}{
		{"none", nil, &Isolators{}},
		{"other prefixes untouched", map[string]string{"org.opencontainers.image.os": "linux", "io.containerd.x": "y", "io.containx": "z"}, &Isolators{}},
		{"volumes", map[string]string{AnnotationVolumes: "tmp:/tmp, /srv/data:/data:ro\ncache/a:/var/cache:rw\n"}, &Isolators{Volumes: []Volume{
			{Host: "tmp", Container: "/tmp"},
			{Host: "/srv/data", Container: "/data", ReadOnly: true},
			{Host: "cache/a", Container: "/var/cache"},
		}}},
		{"volumes cleaned", map[string]string{AnnotationVolumes: "./tmp/:/tmp/"}, &Isolators{Volumes: []Volume{{Host: "tmp", Container: "/tmp"}}}},
		{"disk defaults", map[string]string{AnnotationDiskLimit: "64M"}, &Isolators{Disk: &DiskIsolator{Limit: 64 << 20, Interval: DefaultDiskInterval}}},
		{"disk all", map[string]string{AnnotationDiskLimit: "1G", AnnotationDiskInterval: "500ms", AnnotationDiskEnforce: "true"},
			&Isolators{Disk: &DiskIsolator{Limit: 1 << 30, Interval: 500 * time.Millisecond, Enforce: true}}},
		{"ports defaults", map[string]string{AnnotationPorts: "31000-31005,8080"},
			&Isolators{Ports: &PortsIsolator{Allocated: PortRanges{{8080, 8080}, {31000, 31005}}, Interval: DefaultPortsInterval}}},
		{"ports none allocated", map[string]string{AnnotationPorts: ""},
			&Isolators{Ports: &PortsIsolator{Allocated: PortRanges{}, Interval: DefaultPortsInterval}}},
		{"ports all", map[string]string{AnnotationPorts: "8080", AnnotationPortsInterval: "1s", AnnotationPortsRange: "1024-65535"},
			&Isolators{Ports: &PortsIsolator{Allocated: PortRanges{{8080, 8080}}, Interval: time.Second, Filter: PortRanges{{1024, 65535}}}}},
		{"jail", map[string]string{AnnotationJail: "true"}, &Isolators{Jail: true}},
		{"jail off", map[string]string{AnnotationJail: "false"}, &Isolators{}},
		{"stdio", map[string]string{AnnotationStdio: "sandbox"}, &Isolators{Stdio: "sandbox"}},
		{"stdio empty", map[string]string{AnnotationStdio: ""}, &Isolators{}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ParseAnnotations(tc.in)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Fatalf("got %+v (disk %+v ports %+v)\nwant %+v (disk %+v ports %+v)", got, got.Disk, got.Ports, tc.want, tc.want.Disk, tc.want.Ports)
			}
		})
	}
}

// TestParseAnnotationsErrors covers every malformed annotation issue 5 names (bad size, bad
// range, ":rw:x", a relative path with "..") and the rest: each error must name the key and
// the value so a containerd user can see which annotation to fix.
func TestParseAnnotationsErrors(t *testing.T) {
	tests := []struct {
		name    string
		in      map[string]string
		wantErr []string
	}{
		{"unknown key", map[string]string{"io.contain.foo": "1"}, []string{`unknown annotation "io.contain.foo"`}},
		{"typo", map[string]string{"io.contain.disk.limt": "1G"}, []string{`unknown annotation "io.contain.disk.limt"`}},
		{"bare prefix", map[string]string{"io.contain.": ""}, []string{`unknown annotation "io.contain."`}},
		{"bad size", map[string]string{AnnotationDiskLimit: "12Q"}, []string{AnnotationDiskLimit, `"12Q"`, "unknown unit"}},
		{"negative size", map[string]string{AnnotationDiskLimit: "-1"}, []string{AnnotationDiskLimit, `"-1"`}},
		{"zero size", map[string]string{AnnotationDiskLimit: "0"}, []string{AnnotationDiskLimit, "more than 0"}},
		{"bad interval", map[string]string{AnnotationDiskLimit: "1G", AnnotationDiskInterval: "soon"}, []string{AnnotationDiskInterval, `"soon"`}},
		{"short interval", map[string]string{AnnotationDiskLimit: "1G", AnnotationDiskInterval: "1ms"}, []string{AnnotationDiskInterval, "at least 100ms"}},
		{"bad enforce", map[string]string{AnnotationDiskLimit: "1G", AnnotationDiskEnforce: "yes"}, []string{AnnotationDiskEnforce, `"yes"`}},
		{"enforce without limit", map[string]string{AnnotationDiskEnforce: "true"}, []string{AnnotationDiskEnforce, "needs " + AnnotationDiskLimit}},
		{"interval without limit", map[string]string{AnnotationDiskInterval: "1s"}, []string{AnnotationDiskInterval, "needs " + AnnotationDiskLimit}},
		{"bad range", map[string]string{AnnotationPorts: "31005-31000"}, []string{AnnotationPorts, `"31005-31000"`, "reversed"}},
		{"bad port", map[string]string{AnnotationPorts: "70000"}, []string{AnnotationPorts, "70000"}},
		{"empty filter", map[string]string{AnnotationPorts: "80", AnnotationPortsRange: ""}, []string{AnnotationPortsRange, "empty"}},
		{"bad filter", map[string]string{AnnotationPorts: "80", AnnotationPortsRange: "1-x"}, []string{AnnotationPortsRange, `"1-x"`}},
		{"range without ports", map[string]string{AnnotationPortsRange: "1-1024"}, []string{AnnotationPortsRange, "needs " + AnnotationPorts}},
		{"ports interval without ports", map[string]string{AnnotationPortsInterval: "1s"}, []string{AnnotationPortsInterval, "needs " + AnnotationPorts}},
		{"rw:x", map[string]string{AnnotationVolumes: "tmp:/tmp:rw:x"}, []string{AnnotationVolumes, `"tmp:/tmp:rw:x"`}},
		{"bad mode", map[string]string{AnnotationVolumes: "tmp:/tmp:rx"}, []string{AnnotationVolumes, "neither ro nor rw"}},
		{"dotdot", map[string]string{AnnotationVolumes: "../etc:/x"}, []string{AnnotationVolumes, `".."`}},
		{"inner dotdot", map[string]string{AnnotationVolumes: "a/../../etc:/x"}, []string{AnnotationVolumes, `".."`}},
		{"sandbox itself", map[string]string{AnnotationVolumes: ".:/x"}, []string{AnnotationVolumes, "inside the sandbox"}},
		{"sandbox itself slash", map[string]string{AnnotationVolumes: "./:/x"}, []string{AnnotationVolumes, "inside the sandbox"}},
		{"relative container", map[string]string{AnnotationVolumes: "tmp:tmp"}, []string{AnnotationVolumes, "absolute"}},
		{"over root", map[string]string{AnnotationVolumes: "tmp:/"}, []string{AnnotationVolumes, "root"}},
		{"duplicate destination", map[string]string{AnnotationVolumes: "a:/x,b:/x/"}, []string{AnnotationVolumes, "already a volume"}},
		{"no volumes", map[string]string{AnnotationVolumes: " ,\n"}, []string{AnnotationVolumes, "no volumes"}},
		{"bad jail", map[string]string{AnnotationJail: "1"}, []string{AnnotationJail, `"1"`}},
		{"bad stdio", map[string]string{AnnotationStdio: "file"}, []string{AnnotationStdio, `"file"`}},
		{"sandbox is an output", map[string]string{AnnotationSandbox: "/x"}, []string{AnnotationSandbox, "state"}},
		{"limitation is an output", map[string]string{AnnotationLimitation: "disk"}, []string{AnnotationLimitation, "state"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ParseAnnotations(tc.in)
			if err == nil {
				t.Fatalf("accepted: %+v", got)
			}
			for _, w := range tc.wantErr {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not contain %q", err, w)
				}
			}
		})
	}
}

// TestParseAnnotationsDeterministic: with several bad keys the same one is always reported,
// whatever order the map iterates in.
func TestParseAnnotationsDeterministic(t *testing.T) {
	in := map[string]string{"io.contain.zzz": "", "io.contain.aaa": "", AnnotationJail: "x", AnnotationPorts: "0"}
	_, first := ParseAnnotations(in)
	for i := 0; i < 50; i++ {
		if _, err := ParseAnnotations(in); err == nil || err.Error() != first.Error() {
			t.Fatalf("error changed: %v then %v", first, err)
		}
	}
}

func FuzzParsePortRanges(f *testing.F) {
	for _, s := range []string{"31000-31005,8080", "80", "", "0", "65536", "20-10", "1-65535", ",", "80,,81", "1-2-3"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		r, err := ParsePortRanges(s)
		if err != nil {
			return
		}
		if len(r) == 0 {
			t.Fatalf("ParsePortRanges(%q) = empty without error", s)
		}
		for i, pr := range r {
			if pr.First == 0 || pr.First > pr.Last {
				t.Fatalf("ParsePortRanges(%q): bad range %v", s, pr)
			}
			if i > 0 && uint32(pr.First) <= uint32(r[i-1].Last)+1 {
				t.Fatalf("ParsePortRanges(%q) = %v: not merged", s, r)
			}
		}
		// The canonical form reads back to the same set.
		again, err := ParsePortRanges(r.String())
		if err != nil || !reflect.DeepEqual(again, r) {
			t.Fatalf("round trip %q -> %v -> %q -> %v, %v", s, r, r.String(), again, err)
		}
	})
}

func FuzzParseInterval(f *testing.F) {
	for _, s := range []string{"15s", "100ms", "99ms", "-1s", "", "1h30m", "9999999999h"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		d, err := ParseInterval(s)
		if err == nil && d < MinInterval {
			t.Fatalf("ParseInterval(%q) = %v below the minimum", s, d)
		}
	})
}

// FuzzParseAnnotations builds an annotation map from fuzz strings: two keys (often ours, via
// the suffix) and their values. Whatever it accepts must be internally consistent.
func FuzzParseAnnotations(f *testing.F) {
	f.Add("disk.limit", "64M", "disk.enforce", "true")
	f.Add("ports", "31000-31005,8080", "ports.range", "1024-65535")
	f.Add("volumes", "tmp:/tmp,/a:/b:ro", "jail", "true")
	f.Add("volumes", "../x:/x", "stdio", "sandbox")
	f.Add("disk.interval", "1s", "foo", "")
	f.Fuzz(func(t *testing.T, k1, v1, k2, v2 string) {
		a := map[string]string{AnnotationPrefix + k1: v1, "other." + k2: v2, AnnotationPrefix + k2: v2}
		iso, err := ParseAnnotations(a)
		if err != nil {
			if !strings.Contains(err.Error(), AnnotationPrefix) {
				t.Fatalf("error %q does not name the key", err)
			}
			return
		}
		if d := iso.Disk; d != nil && (d.Limit <= 0 || d.Interval < MinInterval) {
			t.Fatalf("accepted disk %+v", d)
		}
		if p := iso.Ports; p != nil {
			if p.Interval < MinInterval || p.Allocated == nil {
				t.Fatalf("accepted ports %+v", p)
			}
		}
		for _, v := range iso.Volumes {
			if v.Container == "" || v.Container[0] != '/' || v.Host == "" {
				t.Fatalf("accepted volume %+v", v)
			}
			for _, el := range strings.Split(v.Host, "/") {
				if el == ".." {
					t.Fatalf("accepted volume %+v", v)
				}
			}
		}
		if iso.Stdio != "" && iso.Stdio != StdioSandbox {
			t.Fatalf("accepted stdio %q", iso.Stdio)
		}
	})
}
