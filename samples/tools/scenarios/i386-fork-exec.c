/* 32-bit program (gcc -m32) that forks, vforks and execs, so the log has arch=40000003
 * (i386) records: fork 2, vfork 190, clone 120, execve 11, exit_group 252. */
#include <stdio.h>
#include <sys/wait.h>
#include <unistd.h>

int main(void) {
  pid_t pid = fork();
  if (pid == 0) {
    execl("/bin/sleep", "sleep", "0.3", (char *)NULL);
    _exit(127);
  }
  waitpid(pid, NULL, 0);
  pid = vfork();
  if (pid == 0) {
    execl("/bin/sleep", "sleep", "0.2", (char *)NULL);
    _exit(127);
  }
  waitpid(pid, NULL, 0);
  return 0;
}
