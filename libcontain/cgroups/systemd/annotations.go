package systemd

import (
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"

	sdbus "github.com/coreos/go-systemd/v22/dbus"
	"github.com/godbus/dbus/v5"
)

// AnnotationPrefix marks spec annotations that are extra unit properties, as runc reads them:
// "org.systemd.property.TimeoutStopUSec": "uint64 123456789" (a D-Bus GVariant text value).
const AnnotationPrefix = "org.systemd.property."

// AnnotationProperties returns the unit properties the spec's annotations ask for, sorted by
// name so the unit is the same whatever the map order. A name ending in "Sec" after a lower-case
// letter (TimeoutStopSec, as systemd's documentation spells it) is the D-Bus "…USec" property,
// and its number of seconds is converted, as runc does.
func AnnotationProperties(annotations map[string]string) ([]sdbus.Property, error) {
	var props []sdbus.Property
	for _, k := range slices.Sorted(maps.Keys(annotations)) {
		name, ok := strings.CutPrefix(k, AnnotationPrefix)
		if !ok {
			continue
		}
		if err := propertyName(name); err != nil {
			return nil, fmt.Errorf("annotation %s: %w", k, err)
		}
		v, err := dbus.ParseVariant(annotations[k], dbus.Signature{})
		if err != nil {
			return nil, fmt.Errorf("annotation %s=%q: %w", k, annotations[k], err)
		}
		if base, ok := strings.CutSuffix(name, "Sec"); ok && base[len(base)-1] >= 'a' && base[len(base)-1] <= 'z' {
			name = base + "USec"
			if v, err = secondsToUSec(v); err != nil {
				return nil, fmt.Errorf("annotation %s=%q: %w", k, annotations[k], err)
			}
		}
		props = append(props, sdbus.Property{Name: name, Value: v})
	}
	return props, nil
}

// propertyName accepts what a systemd property name can be: at least three ASCII letters.
func propertyName(s string) error {
	if len(s) < 3 {
		return errors.New("property name is shorter than 3 letters")
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z') {
			return errors.New("property name has a character that is not an ASCII letter")
		}
	}
	return nil
}

func secondsToUSec(v dbus.Variant) (dbus.Variant, error) {
	const M = 1000000
	var signed int64
	switch n := v.Value().(type) {
	case uint8:
		return dbus.MakeVariant(uint64(n) * M), nil
	case uint16:
		return dbus.MakeVariant(uint64(n) * M), nil
	case uint32:
		return dbus.MakeVariant(uint64(n) * M), nil
	case uint64:
		return dbus.MakeVariant(n * M), nil
	case float64:
		if n < 0 {
			return v, errors.New("a negative number of seconds")
		}
		return dbus.MakeVariant(uint64(n * M)), nil
	case int16:
		signed = int64(n)
	case int32:
		signed = int64(n)
	case int64:
		signed = n
	default:
		return v, errors.New("seconds must be a number")
	}
	if signed < 0 {
		return v, errors.New("a negative number of seconds")
	}
	return dbus.MakeVariant(uint64(signed) * M), nil
}
