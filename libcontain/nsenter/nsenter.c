/*
 * Join existing namespaces before the Go runtime starts. Why this is C, the protocol and the join
 * order are explained in the package comment (nsenter.go); this file only does what it says there.
 *
 * Everything here runs in a single-threaded process before main(): no Go, no allocation, no stdio.
 * Any failure after the request socket is known is reported through it and ends the process
 * with _exit(1), so the program never runs in a half-joined set of namespaces.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <grp.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "nsenter.h"

#ifndef CLONE_NEWTIME
#define CLONE_NEWTIME 0x00000080
#endif
#ifndef SYS_clone3
#define SYS_clone3 435 /* the same number on every architecture */
#endif

#define NS_ALL                                                                         \
	(CLONE_NEWNS | CLONE_NEWCGROUP | CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWUSER | \
	 CLONE_NEWPID | CLONE_NEWNET | CLONE_NEWTIME)
/*
 * A new user namespace needs its id maps written by the parent and a new time namespace its
 * offsets; neither is part of this protocol, so neither may be unshared here.
 */
#define NS_UNSHARE (NS_ALL & ~(CLONE_NEWUSER | CLONE_NEWTIME))

int nsenter_parse(const unsigned char *buf, size_t len, struct nsenter_request *req)
{
	struct nsenter_header h;
	uint32_t i;

	if (len < sizeof h)
		return -1;
	memcpy(&h, buf, sizeof h); /* memcpy: buf has no alignment guarantee */
	if (h.magic != NSENTER_MAGIC || h.reserved != 0 || (h.unshare & ~(uint32_t)NS_UNSHARE) != 0)
		return -1;
	/* count is bounded before it is multiplied, so the size check cannot overflow. */
	if (h.count > NSENTER_MAX_JOINS || len != sizeof h + h.count * sizeof(struct nsenter_join))
		return -1;
	if (h.count == 0 && h.unshare == 0)
		return -1; /* nothing to do: the parent would not ask for this */
	memset(req, 0, sizeof *req);
	req->unshare = h.unshare;
	req->count = h.count;
	memcpy(req->joins, buf + sizeof h, h.count * sizeof(struct nsenter_join));
	for (i = 0; i < h.count; i++) {
		const struct nsenter_join *j = &req->joins[i];
		/* fds 0-2 are the program's stdio, never a namespace we were handed. */
		if (j->fd < 3 || j->flags == 0 || (j->flags & ~(uint32_t)NS_ALL) != 0)
			return -1;
	}
	return 0;
}

/* reply sends the one reply message. send, not write: if sock is not a socket it fails. */
static int reply(int sock, int32_t pid, int32_t err, const char *op)
{
	struct nsenter_reply r;

	memset(&r, 0, sizeof r);
	r.magic = NSENTER_MAGIC;
	r.pid = pid;
	r.err = err;
	if (op != NULL)
		strncpy(r.op, op, sizeof r.op - 1);
	return send(sock, &r, sizeof r, MSG_NOSIGNAL) == (ssize_t)sizeof r ? 0 : -1;
}

static void __attribute__((noreturn)) fail(int sock, const char *op, int err)
{
	reply(sock, 0, err, op);
	_exit(1);
}

/* fail_setns names the namespace in the error: "setns mnt", or "setns pidfd" for several. */
static void __attribute__((noreturn)) fail_setns(int sock, uint32_t flags, int err)
{
	static const struct {
		uint32_t flag;
		const char *name;
	} names[] = {
		{ CLONE_NEWUSER, "user" },     { CLONE_NEWNS, "mnt" },    { CLONE_NEWPID, "pid" },
		{ CLONE_NEWNET, "net" },       { CLONE_NEWIPC, "ipc" },   { CLONE_NEWUTS, "uts" },
		{ CLONE_NEWCGROUP, "cgroup" }, { CLONE_NEWTIME, "time" },
	};
	const char *name = "pidfd";
	size_t i;
	char op[32];

	for (i = 0; i < sizeof names / sizeof names[0]; i++)
		if (flags == names[i].flag)
			name = names[i].name;
	snprintf(op, sizeof op, "setns %s", name);
	fail(sock, op, err);
}

/*
 * become_root makes us root of the user namespace just joined. setns(2) gives all capabilities
 * in it but leaves the ids as they were: the host's root, which the namespace does not map, so
 * files made from here on (the container's /dev/pts on its own /dev tmpfs) fail with EOVERFLOW.
 * A clone into a new user namespace does the same with its credentials. setgroups may be denied
 * in the namespace (/proc/pid/setgroups "deny"): then the supplementary groups stay as they are.
 */
static void become_root(int sock)
{
	if (setgroups(0, NULL) < 0 && errno != EPERM)
		fail(sock, "setgroups in user namespace", errno);
	if (setresgid(0, 0, 0) < 0)
		fail(sock, "become root in user namespace (setresgid)", errno);
	if (setresuid(0, 0, 0) < 0)
		fail(sock, "become root in user namespace (setresuid)", errno);
}

/*
 * join enters every namespace in three passes. Entering a user namespace changes which
 * namespaces we may enter next: setns(2) wants CAP_SYS_ADMIN in the user namespace that owns the
 * target, and after the join we hold capabilities only in the new user namespace and below it.
 *   1. Everything but the user namespace, while we still have the caller's credentials: host
 *      root can enter a namespace owned by the host (a network namespace made by `ip netns`)
 *      here and never after. EPERM is not final yet if a user namespace is to come.
 *   2. The user namespace (or the pidfd that includes it; the kernel orders that one itself),
 *      becoming its root (become_root).
 *   3. What pass 1 was refused: an unprivileged owner of the user namespace gains the right to
 *      enter the namespaces it owns only now.
 * Entering namespaces from already-open fds makes the order irrelevant to path lookup (joining
 * the mount namespace first cannot change what a later path resolves to).
 */
static void join(int sock, const struct nsenter_request *req)
{
	int done[NSENTER_MAX_JOINS] = { 0 };
	int user = 0;
	uint32_t i;

	for (i = 0; i < req->count; i++)
		user |= (req->joins[i].flags & CLONE_NEWUSER) != 0;
	for (i = 0; i < req->count; i++) {
		const struct nsenter_join *j = &req->joins[i];
		if (j->flags & CLONE_NEWUSER)
			continue;
		if (setns(j->fd, (int)j->flags) == 0)
			done[i] = 1;
		else if (!(errno == EPERM && user))
			fail_setns(sock, j->flags, errno);
	}
	for (i = 0; i < req->count; i++) {
		const struct nsenter_join *j = &req->joins[i];
		if (!(j->flags & CLONE_NEWUSER))
			continue;
		if (setns(j->fd, (int)j->flags) < 0)
			fail_setns(sock, j->flags, errno);
		become_root(sock);
		done[i] = 1;
	}
	for (i = 0; i < req->count; i++)
		if (!done[i] && setns(req->joins[i].fd, (int)req->joins[i].flags) < 0)
			fail_setns(sock, req->joins[i].flags, errno);
}

/*
 * fork_sibling forks like fork(2), but the child's parent is our parent (CLONE_PARENT): the runtime
 * that started us can wait for the process that is really in the pid namespace, while we exit.
 * clone3 with no stack continues the child on a copy of this stack, like fork; its argument
 * layout is the same on every architecture, unlike clone's. Seccomp profiles that predate clone3
 * make it fail with ENOSYS; then clone, whose first arguments only s390 swaps.
 *
 * libc's fork handlers do not run and glibc's cached thread id in the TCB keeps the parent's
 * value: nothing before or in the Go runtime depends on either in a single-threaded process
 * (runc's nsexec clones the same way, through glibc's clone wrapper, which does not update it
 * either).
 */
static pid_t fork_sibling(void)
{
	/*
	 * No exit signal: with CLONE_PARENT the child inherits ours (SIGCHLD, as Go started us
	 * with), and clone3 refuses CLONE_PARENT with one set (EINVAL).
	 */
	struct {
		uint64_t flags, pidfd, child_tid, parent_tid, exit_signal, stack, stack_size, tls;
	} args = { .flags = CLONE_PARENT };
	long pid = syscall(SYS_clone3, &args, sizeof args);

	if (pid < 0 && errno == ENOSYS) {
#if defined(__s390__) || defined(__s390x__)
		pid = syscall(SYS_clone, 0, CLONE_PARENT, 0, 0, 0);
#else
		pid = syscall(SYS_clone, CLONE_PARENT, 0, 0, 0, 0);
#endif
	}
	return (pid_t)pid;
}

/* parse_fd reads the decimal fd in the environment variable: digits only, at least 3. */
static int parse_fd(const char *s)
{
	long v = 0;

	if (*s == '\0')
		return -1;
	for (; *s != '\0'; s++) {
		if (*s < '0' || *s > '9' || v > 1000000)
			return -1;
		v = v * 10 + (*s - '0');
	}
	return v >= 3 ? (int)v : -1;
}

/* die_early ends the process when there is no request socket to report to. */
static void __attribute__((noreturn)) die_early(const char *msg)
{
	/* Only Prepare sets the variable; a bad one means a person ran us by hand with it set. */
	if (write(2, msg, strlen(msg)) < 0) {
		/* nothing left to tell */
	}
	_exit(1);
}

__attribute__((constructor)) static void nsenter(void)
{
	unsigned char buf[sizeof(struct nsenter_header) +
			  NSENTER_MAX_JOINS * sizeof(struct nsenter_join) + 1];
	struct nsenter_request req;
	const char *env = getenv(NSENTER_ENV);
	int sock, type;
	socklen_t typelen = sizeof type;
	ssize_t n;
	uint32_t i;

	/* The fast path: every ordinary run of the binary pays for one getenv. */
	if (env == NULL)
		return;
	/*
	 * Fail closed: continuing would run the program (for `contain exec`, a command meant for
	 * the container) in the runtime's own namespaces.
	 */
	sock = parse_fd(env);
	if (sock < 0)
		die_early("contain: nsenter: " NSENTER_ENV " is not an fd number\n");
	if (getsockopt(sock, SOL_SOCKET, SO_TYPE, &type, &typelen) < 0 || type != SOCK_SEQPACKET)
		die_early("contain: nsenter: " NSENTER_ENV " is not a seqpacket socket\n");
	/* Keep the variable from the program and everything it starts. */
	unsetenv(NSENTER_ENV);

	/* The buffer is one byte longer than the largest request, so a longer one is caught. */
	do
		n = recv(sock, buf, sizeof buf, 0);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		fail(sock, "read request", errno);
	if (nsenter_parse(buf, (size_t)n, &req) < 0)
		fail(sock, "parse request", EINVAL);
	for (i = 0; i < req.count; i++)
		if (req.joins[i].fd == sock)
			fail(sock, "parse request", EINVAL);

	/*
	 * Not dumpable from before the first join until execve, which makes the process dumpable
	 * again as the kernel sees fit: a dumpable process lets any process of its uid (with no
	 * fewer capabilities) in the namespaces we join read its memory and fds, open its exe and
	 * ptrace it while it still holds the runtime's privileges (runc's nsexec does the same).
	 * Not when a user namespace is joined: the process's /proc files would then belong to the
	 * host's root, which it is not, and init could no longer write its own oom_score_adj.
	 */
	for (i = 0; i < req.count && !(req.joins[i].flags & CLONE_NEWUSER); i++)
		;
	if (i == req.count && !(req.unshare & CLONE_NEWUSER) &&
	    prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) < 0)
		fail(sock, "prctl PR_SET_DUMPABLE", errno);

	join(sock, &req);
	if (req.unshare != 0 && unshare((int)req.unshare) < 0)
		fail(sock, "unshare", errno);
	/* The namespace fds were inherited without close-on-exec; the program must not see them. */
	for (i = 0; i < req.count; i++)
		close(req.joins[i].fd);

	/*
	 * Joining or unsharing a pid namespace moves only our future children into it
	 * (pid_ns_for_children): the process that continues into Go must be a new one.
	 */
	for (i = 0; i < req.count; i++)
		req.unshare |= req.joins[i].flags & CLONE_NEWPID;
	if (req.unshare & CLONE_NEWPID) {
		pid_t child = fork_sibling();
		if (child < 0)
			fail(sock, "clone", errno);
		if (child > 0) {
			/* Nobody would know the child's pid: do not leave it running unsupervised. */
			if (reply(sock, child, 0, NULL) < 0) {
				kill(child, SIGKILL);
				_exit(1);
			}
			_exit(0);
		}
		close(sock);
		return;
	}
	if (reply(sock, 0, 0, NULL) < 0)
		_exit(1);
	close(sock);
}
