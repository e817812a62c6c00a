/*
 * pause: the pod sandbox's process in the CRI suite's pause image (the suite has no registry to
 * pull registry.k8s.io/pause from). It holds the pod's namespaces open, reaps the orphans it
 * inherits as PID 1 of a pod's shared pid namespace, and exits 0 on SIGTERM or SIGINT.
 *
 * C, single-threaded and linked static: the image holds nothing else, and a pod's pids limit
 * counts threads, so the sandbox must take exactly one slot, as the real pause does.
 */
#include <errno.h>
#include <signal.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static void quit(int sig)
{
	(void)sig;
	_exit(0);
}

static void reap(int sig)
{
	int saved = errno;

	(void)sig;
	while (waitpid(-1, NULL, WNOHANG) > 0)
		;
	errno = saved;
}

int main(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = quit;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sa.sa_handler = reap;
	sa.sa_flags = SA_NOCLDSTOP | SA_RESTART;
	sigaction(SIGCHLD, &sa, NULL);
	for (;;)
		pause();
}
