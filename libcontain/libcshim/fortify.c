// See doc.go.
#include <stdio.h>

#ifndef __GLIBC__
#include <stdarg.h>

/* glibc's checked fprintf (_FORTIFY_SOURCE): the flag asks for checks of %n; libseccomp never
 * passes one. */
int __fprintf_chk(FILE *stream, int flag, const char *format, ...)
{
	va_list ap;
	int n;

	(void)flag;
	va_start(ap, format);
	n = vfprintf(stream, format, ap);
	va_end(ap);
	return n;
}
#endif
