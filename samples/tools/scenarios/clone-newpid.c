/*
 * What a container runtime does (runc, bubblewrap, lxc): create the container's init with
 * clone(CLONE_NEWPID | SIGCHLD). The child is pid 1 of a new pid namespace and execs
 * `sh -c SCRIPT ARG...` (argv[1..]); the parent waits for it and exits with its status.
 * The glibc clone() wrapper makes the clone syscall (not clone3), so the flags are a0.
 */
#define _GNU_SOURCE
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

static char **child_argv;

static int child_main(void *arg) {
  (void)arg;
  execv("/bin/sh", child_argv);
  perror("execv /bin/sh");
  return 127;
}

int main(int argc, char **argv) {
  if (argc < 2) {
    fprintf(stderr, "usage: %s SCRIPT [ARG...]\n", argv[0]);
    return 2;
  }
  child_argv = calloc((size_t)argc + 2, sizeof *child_argv);
  if (child_argv == NULL) return 1;
  child_argv[0] = "sh";
  child_argv[1] = "-c";
  for (int i = 1; i < argc; i++) child_argv[i + 1] = argv[i];
  size_t stack_size = 256 * 1024;
  char *stack = malloc(stack_size);
  if (stack == NULL) return 1;
  pid_t pid = clone(child_main, stack + stack_size, CLONE_NEWPID | SIGCHLD, NULL);
  if (pid < 0) {
    perror("clone(CLONE_NEWPID)");
    return 1;
  }
  int status;
  if (waitpid(pid, &status, 0) < 0) {
    perror("waitpid");
    return 1;
  }
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}
