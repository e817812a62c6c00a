// Package libcshim gives the C libraries contain links what they expect of a C library and musl
// does not have. Package main imports it for its side effect:
//
//	import _ "github.com/contain-runtime/contain/libcontain/libcshim"
//
// The Makefile links contain statically with musl where musl-gcc is installed (see its comment
// on MUSL_GCC for why), and with Debian's libseccomp.a, which was built against glibc with
// _FORTIFY_SOURCE and so calls __fprintf_chk, a glibc-only symbol; fortify.c provides it, in
// terms of vfprintf. Built against glibc (a plain go build, or no musl-gcc), the file compiles to
// nothing and glibc's own is used.
package libcshim
