package spec

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
)

// ParseSize reads a byte size the way a person writes one: "1048576", "512K", "64M", "1G",
// "2T" (binary units, optional trailing "B" or "iB", any case). It refuses empty strings,
// negative numbers, unknown units and values that overflow an int64.
func ParseSize(s string) (int64, error) {
	in := strings.TrimSpace(s)
	if in == "" {
		return 0, errors.New("invalid size \"\": empty")
	}
	u := strings.ToUpper(in)
	if t, ok := strings.CutSuffix(u, "IB"); ok {
		u = t
	} else {
		u = strings.TrimSuffix(u, "B")
	}
	mult := int64(1)
	if n := len(u); n > 0 && !isDigit(u[n-1]) {
		shift, ok := map[byte]uint{'K': 10, 'M': 20, 'G': 30, 'T': 40, 'P': 50, 'E': 60}[u[n-1]]
		if !ok {
			return 0, fmt.Errorf("invalid size %q: unknown unit %q", s, u[n-1:])
		}
		mult, u = int64(1)<<shift, u[:n-1]
	}
	if u == "" || !isDigits(u) {
		return 0, fmt.Errorf("invalid size %q: want a whole number of bytes, K, M, G or T", s)
	}
	v, err := strconv.ParseInt(u, 10, 64)
	if err != nil || v > math.MaxInt64/mult {
		return 0, fmt.Errorf("invalid size %q: too large", s)
	}
	return v * mult, nil
}

func isDigit(b byte) bool { return b >= '0' && b <= '9' }

func isDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if !isDigit(s[i]) {
			return false
		}
	}
	return true
}
