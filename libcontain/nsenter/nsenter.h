/*
 * The wire format between Prepare (Go, in the runtime parent) and the constructor in nsenter.c
 * (C, in the child before its Go runtime starts). Both sides are the same binary on the same
 * machine, so fields are in native byte order. See the package comment in nsenter.go.
 */
#ifndef CONTAIN_NSENTER_H
#define CONTAIN_NSENTER_H

#include <stdint.h>
#include <stddef.h>

/* The environment variable naming the request socket's fd. */
#define NSENTER_ENV "_CONTAIN_NSENTER"

/* "nse1": a wrong or stale peer fails the magic check instead of being half-understood. */
#define NSENTER_MAGIC 0x3165736eu

/* Eight namespace types exist; a pidfd entry counts once. Anything above is a corrupt request. */
#define NSENTER_MAX_JOINS 16

/* Request, parent -> child, one SOCK_SEQPACKET message: a header and count join entries. */
struct nsenter_header {
	uint32_t magic;
	/* CLONE_NEW* to unshare after joining; never CLONE_NEWUSER or CLONE_NEWTIME */
	uint32_t unshare;
	uint32_t count;    /* join entries that follow */
	uint32_t reserved; /* must be 0 */
};

/*
 * One setns(fd, flags). fd is inherited (an ExtraFiles entry, so >= 3) and is either an nsfs file,
 * with flags its one CLONE_NEW* type (the kernel refuses a file of another type), or a pidfd, with
 * flags every type to take from that process at once.
 */
struct nsenter_join {
	int32_t fd;
	uint32_t flags;
};

/* Reply, child -> parent, one message, always exactly this size. */
struct nsenter_reply {
	uint32_t magic;
	int32_t pid; /* > 0: the forked child, in the parent's pid namespace; 0: no fork */
	int32_t err; /* errno of the failed step, 0 on success */
	char op[52]; /* failed step, NUL-terminated ("setns mnt"); empty on success */
};

/* A parsed request. */
struct nsenter_request {
	uint32_t unshare;
	uint32_t count;
	struct nsenter_join joins[NSENTER_MAX_JOINS];
};

/* nsenter_parse checks and decodes a request message; 0 on success, -1 if malformed. */
int nsenter_parse(const unsigned char *buf, size_t len, struct nsenter_request *req);

#endif
