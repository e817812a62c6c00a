package rootfs

import (
	"maps"
	"slices"
	"testing"

	"github.com/contain-runtime/contain/spec"
)

// TestFeaturesMountOptions: `features` announces exactly the options this package's parser
// takes as flags, recursive flags, propagation or tmpcopyup (runc's list; idmap and ridmap are
// announced as the idmap mount extension instead).
func TestFeaturesMountOptions(t *testing.T) {
	var want []string
	want = append(want, slices.Collect(maps.Keys(mountFlags))...)
	want = append(want, slices.Collect(maps.Keys(recursiveFlags))...)
	want = append(want, slices.Collect(maps.Keys(propagationFlags))...)
	want = append(want, optCopyUp)
	slices.Sort(want)
	if got := spec.Features().MountOptions; !slices.Equal(got, want) {
		t.Fatalf("features lists %q\nthe parser knows %q", got, want)
	}
}
