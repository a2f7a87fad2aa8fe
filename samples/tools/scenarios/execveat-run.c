/* Runs NAME from directory DIR through execveat(2) (syscall 322 on x86_64) after a pause,
 * so a capture has an execveat record and the prober sees this image before it changes.
 * usage: execveat-run DIR NAME [ARG...] */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <sys/syscall.h>
#include <unistd.h>

extern char **environ;

int main(int argc, char **argv) {
  if (argc < 3) {
    fprintf(stderr, "usage: %s DIR NAME [ARG...]\n", argv[0]);
    return 2;
  }
  int dirfd = open(argv[1], O_RDONLY | O_DIRECTORY);
  if (dirfd < 0) {
    perror(argv[1]);
    return 1;
  }
  usleep(200 * 1000);
  syscall(SYS_execveat, dirfd, argv[2], &argv[2], environ, 0);
  perror("execveat");
  return 127;
}
