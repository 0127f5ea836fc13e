// glibc calls the Swift Glibc module does not expose because glibc declares them only under
// _GNU_SOURCE. This header must not define _GNU_SOURCE itself: it is a clang module, and a module
// that sees glibc's headers under other feature macros than Dispatch's disagrees with it on
// `fd_set` and stops the build. shim.c defines it where no other module can see it.
#ifndef FLETCHER_CGLIBC_H
#define FLETCHER_CGLIBC_H

#include <malloc.h>
#include <spawn.h>

// Closes every descriptor from `lowest` up in the child (glibc 2.34 and later).
int fletcher_spawn_close_from(posix_spawn_file_actions_t *actions, int lowest);

// Makes the child start in `directory` (glibc 2.29 and later).
int fletcher_spawn_chdir(posix_spawn_file_actions_t *actions, const char *directory);

// A pipe whose ends are closed in any child spawned later (but for those a spawn hands over).
int fletcher_pipe_cloexec(int fds[2]);

// Names the calling thread as `top -H` shows it (Linux keeps 15 characters).
void fletcher_name_thread(const char *name);

#endif
