/* What Swift's Glibc module does not offer without _GNU_SOURCE: spawning a program in a working
 * directory with every other descriptor closed, close-on-exec pipes, and noticing a child's exit
 * without reaping it. Used by the Actions target to run local scripts and the reboot command. */
#ifndef SWITCHBOARD_LOCAL_PROCESS_H
#define SWITCHBOARD_LOCAL_PROCESS_H

#include <sys/types.h>

/* Starts `path` (no PATH search, no shell) with `argv` and `envp` (NULL-terminated), in `cwd`,
 * with descriptors 0, 1 and 2 taken from `in`, `out` and `err` and every other one closed, in a
 * new process group led by the child, with no signal blocked or ignored. Returns 0 and the pid,
 * or an errno value (also when the working directory or the exec fails). */
int sb_spawn(const char *path, char *const argv[], char *const envp[], const char *cwd,
             int in, int out, int err, pid_t *pid);

/* pipe2(fds, O_CLOEXEC): 0, or -1 with errno set. */
int sb_pipe_cloexec(int fds[2]);

/* 1 when the child `pid` has terminated (it stays a zombie, so its pid and process group id
 * cannot be reused until it is reaped), 0 while it runs, -1 with errno set on error. */
int sb_has_exited(pid_t pid);

#endif
