// glibc functions the Swift Glibc module does not expose (they need _GNU_SOURCE).
#define _GNU_SOURCE
#include <malloc.h>
#include <spawn.h>

// Closes every descriptor from `lowest` up in the child (glibc 2.34 and later).
static inline int fletcher_spawn_close_from(posix_spawn_file_actions_t *actions, int lowest) {
    return posix_spawn_file_actions_addclosefrom_np(actions, lowest);
}

#include <fcntl.h>
#include <unistd.h>

// A pipe whose ends are closed in any child spawned later (but for those a spawn hands over).
static inline int fletcher_pipe_cloexec(int fds[2]) {
    return pipe2(fds, O_CLOEXEC);
}

#include <pthread.h>

// Names the calling thread as `top -H` shows it (Linux keeps 15 characters).
static inline void fletcher_name_thread(const char *name) {
    pthread_setname_np(pthread_self(), name);
}
