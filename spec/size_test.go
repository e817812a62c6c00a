package spec

import "testing"

func TestParseSize(t *testing.T) {
	tests := []struct {
		in      string
		want    int64
		wantErr bool
	}{
		{"64M", 67108864, false},
		{"1G", 1073741824, false},
		{"512K", 524288, false},
		{"1048576", 1048576, false},
		{"64m", 67108864, false},
		{"64MB", 67108864, false},
		{"64MiB", 67108864, false},
		{"1T", 1 << 40, false},
		{"0", 0, false},
		{"64Q", 0, true},
		{"-1", 0, true},
		{"", 0, true},
		{"M", 0, true},
		{"1.5G", 0, true},
		{"99999999999999999999", 0, true},
		{"9000000000000000000K", 0, true},
		{"8E", 0, true},
		{"B", 0, true},
		{"12 M", 0, true},
		{" 64M ", 67108864, false},
		{"1KiB", 1024, false},
		{"2t", 2 << 40, false},
		{"7E", 7 << 60, false},
		{"9223372036854775807", 9223372036854775807, false},
		{"9223372036854775808", 0, true},
		{"8388608T", 0, true},
		{"+5", 0, true},
		{"0x10", 0, true},
		{"1e3", 0, true},
		{"64MM", 0, true},
		{"K64", 0, true},
		{"64Mi", 0, true},
		{"--1", 0, true},
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			got, err := ParseSize(tc.in)
			if (err != nil) != tc.wantErr || got != tc.want {
				t.Fatalf("ParseSize(%q) = %d, %v; want %d, err %v", tc.in, got, err, tc.want, tc.wantErr)
			}
		})
	}
}

func FuzzParseSize(f *testing.F) {
	for _, s := range []string{"64M", "1G", "512K", "1048576", "-1", "64Q", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		v, err := ParseSize(s)
		if err == nil && v < 0 {
			t.Fatalf("ParseSize(%q) = %d: negative without error", s, v)
		}
	})
}
