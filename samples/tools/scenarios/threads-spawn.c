/* Non-main threads that create processes, each in a different way:
 *   thread 1: fork() + execv(sleep)          -> clone (56) from a thread, pid != tid
 *   thread 2: posix_spawn(sleep)             -> clone3 (435) with CLONE_VM|CLONE_VFORK
 *   thread 3: fork(); in the child a second thread calls execv(sleep): the kernel makes the
 *             exec'ing thread the group leader, so the exec shows under the child's pid
 * pthread_create itself is clone3 with CLONE_THREAD; the threads end with exit (60). */
#define _GNU_SOURCE
#include <pthread.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

static void *fork_exec(void *arg) {
  (void)arg;
  usleep(100 * 1000);
  pid_t pid = fork();
  if (pid == 0) {
    execl("/bin/sleep", "sleep", "0.4", (char *)NULL);
    _exit(127);
  }
  waitpid(pid, NULL, 0);
  return NULL;
}

static void *spawn(void *arg) {
  (void)arg;
  usleep(150 * 1000);
  char *argv[] = {"sleep", "0.3", NULL};
  pid_t pid;
  if (posix_spawn(&pid, "/bin/sleep", NULL, NULL, argv, environ) == 0) waitpid(pid, NULL, 0);
  return NULL;
}

static void *exec_from_thread(void *arg) {
  (void)arg;
  usleep(200 * 1000);
  execl("/bin/sleep", "sleep", "0.3", (char *)NULL);
  _exit(127);
}

static void *fork_then_thread_exec(void *arg) {
  (void)arg;
  usleep(200 * 1000);
  pid_t pid = fork();
  if (pid == 0) {
    pthread_t t;
    pthread_create(&t, NULL, exec_from_thread, NULL);
    pthread_join(t, NULL); /* never returns: the exec replaces the whole process */
    _exit(1);
  }
  waitpid(pid, NULL, 0);
  return NULL;
}

int main(void) {
  pthread_t t[3];
  pthread_create(&t[0], NULL, fork_exec, NULL);
  pthread_create(&t[1], NULL, spawn, NULL);
  pthread_create(&t[2], NULL, fork_then_thread_exec, NULL);
  for (int i = 0; i < 3; i++) pthread_join(t[i], NULL);
  usleep(100 * 1000);
  return 0;
}
