// See doc.go.
#define _GNU_SOURCE
#include <stdlib.h>
#include <sys/prctl.h>

#define RUNTIME_SLACK_NS 1000000UL

/* The slack the runtime's caller gave it; 0 when the constructor changed nothing. */
unsigned long contain_caller_timerslack;

__attribute__((constructor)) static void raise_timerslack(void)
{
	/* nsenter's child becomes an exec's process: leave it as it was. */
	if (getenv("_CONTAIN_NSENTER") != NULL)
		return;
	int v = prctl(PR_GET_TIMERSLACK, 0, 0, 0, 0);
	if (v <= 0 || (unsigned long)v >= RUNTIME_SLACK_NS)
		return;
	if (prctl(PR_SET_TIMERSLACK, RUNTIME_SLACK_NS, 0, 0, 0) == 0)
		contain_caller_timerslack = (unsigned long)v;
}
