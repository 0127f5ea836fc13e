#define _GNU_SOURCE
#include <fcntl.h>
#include <pthread.h>
#include <spawn.h>
#include <unistd.h>

#include "CGlibc.h"

int fletcher_spawn_close_from(posix_spawn_file_actions_t *actions, int lowest) {
    return posix_spawn_file_actions_addclosefrom_np(actions, lowest);
}

int fletcher_spawn_chdir(posix_spawn_file_actions_t *actions, const char *directory) {
    return posix_spawn_file_actions_addchdir_np(actions, directory);
}

int fletcher_pipe_cloexec(int fds[2]) {
    return pipe2(fds, O_CLOEXEC);
}

void fletcher_name_thread(const char *name) {
    pthread_setname_np(pthread_self(), name);
}
