/* layers.h: seccomp and Landlock, prepared by the supervisor, applied by
 * the payload just before execve (child.c).
 *
 * Everything that allocates or may take a lock (libseccomp, opening paths)
 * happens in the supervisor (before the clone, or for a process's first
 * seccomp filter while the init builds the root); the payload only makes
 * two system calls on what was prepared: landlock_restrict_self on a
 * ruleset descriptor and seccomp(SECCOMP_SET_MODE_FILTER) on a BPF program
 * in static memory. */
#ifndef GRADER_SANDBOX_LAYERS_H
#define GRADER_SANDBOX_LAYERS_H

#include <stdbool.h>
#include <stddef.h>

/* The deny-list filter of the sandbox (design notes 6.4), built once per
 * process.  Returns a `const struct sock_fprog *` for the payload, or NULL
 * with why set ("unavailable (EINVAL)", ...) when this kernel or libseccomp
 * cannot do it. */
const void *sb_seccomp_program(char *why, size_t whylen);

/* Whether sb_seccomp_program has been asked once in this process (its
 * answer is then immediate).  The first run of a process builds it after
 * the clone instead, while the init builds the root, and hands the program
 * over with the second "go" (sandbox.c, child.c). */
bool sb_seccomp_built(void);

/* The program's instructions as bytes, for that hand-over: their count in
 * bytes, and *data. */
size_t sb_seccomp_bytes(const void *prog, const void **data);

/* Init side: the program rebuilt from those bytes, in static memory, or
 * NULL when len is not a whole, non-empty program that fits. */
const void *sb_seccomp_from_bytes(const void *data, size_t len);

/* The Landlock ABI of this kernel (probed once), or 0 with why set. */
int sb_landlock_abi(char *why, size_t whylen);

/* A ruleset for Landlock ABI v: read and execute everywhere, write beneath `box` only (plus
 * /dev/null, and regular files in /dev/shm for POSIX semaphores); no TCP from ABI 4, abstract unix sockets and signals
 * scoped from ABI
 * 6.  Returns a CLOEXEC descriptor, or -1 with why set. */
int sb_landlock_ruleset(int v, const char *box, char *why, size_t whylen);

/* What a rule added by the init allows beneath a path. */
enum sb_ll_kind {
    SB_LL_READ,   /* read files and directories, execute */
    SB_LL_WRITE,  /* everything the ABI knows */
    SB_LL_SHM,    /* what POSIX semaphores need: regular files only */
    SB_LL_DEVICE, /* read and write one device file (/dev/null) */
};

/* Init side, async-signal-safe (open + landlock_add_rule): adds a rule of
 * `kind` for `path` on `ruleset_fd`.  0 or -errno. */
int sb_landlock_allow_after_mount(int ruleset_fd, int v, const char *path, enum sb_ll_kind kind);

/* Payload side, async-signal-safe: 0 or -errno. */
int sb_landlock_apply(int ruleset_fd);
int sb_seccomp_apply(const void *prog);

#endif
