// Package prefault maps the runtime binary's code into the process before the Go runtime starts,
// in one madvise(MADV_POPULATE_READ) call, instead of one page fault at a time as the code runs.
// Package main imports it for its side effect:
//
//	import _ "github.com/contain-runtime/contain/libcontain/prefault"
//
// A command of contain faults in code all through its few milliseconds: about 400 page faults in
// `contain --version`, 740 in a `run`, most of them on the 6.8 MB of code, at a few microseconds
// each in a nested VM (each fault also maps up to 15 neighbouring pages, and is counted as a
// fault either way). One call that maps all of the code while the process still has one thread
// cut `contain --version` from 4.4 to 3.0 ms of CPU, a failing `contain state` by 5-8 % of its
// time and `contain run /bin/true` by 1-4 % (0.963, 0.975 and 0.992 in three sessions of
// alternating hyperfine rounds here); doing the same for the read-only data as well (10 MB, 3.6
// MB of it the embedded init binary, which is never read) was slower than the code alone. The pages are the page cache's: nothing is read from disk
// that the runs would not have read, and no memory is charged to anyone.
//
// The constructor (prefault.c) runs in every start of the binary except nsenter's child (see
// package nsenter), which joins namespaces before anything else and may fork first. Without cgo
// there is no constructor and nothing changes.
package prefault
