/* A classic daemon double fork: the parent forks a child, the child calls setsid() and
 * forks the daemon, then exits; the daemon is reparented (to init or the nearest
 * subreaper), keeps running ~1 s and finally execs /bin/sleep. The original parent stays
 * alive past the reparenting so the truth shows the daemon no longer under it. */
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

int main(void) {
  pid_t child = fork();
  if (child < 0) return perror("fork"), 1;
  if (child == 0) {
    setsid();
    pid_t daemon = fork();
    if (daemon < 0) _exit(1);
    if (daemon == 0) {
      usleep(1000 * 1000); /* under the child for 0.3 s, then reparented for 0.7 s */
      execl("/bin/sleep", "sleep", "0.5", (char *)NULL);
      _exit(127);
    }
    usleep(300 * 1000);
    _exit(0);
  }
  waitpid(child, NULL, 0);
  usleep(400 * 1000);
  return 0;
}
