/* Makes the next process this program starts get pid TARGET, then runs COMMAND in it.
 * usage: pid-steer TARGET FILLER_LOGINUID COMMAND [ARG...]
 *
 * It vforks throw-away children (each _exit(0)s at once) until the kernel has handed out
 * the last free pid below TARGET, so the following fork gets TARGET if nobody else on the
 * machine forks in between. Run it with a lowered kernel.pid_max so one wrap costs ~2000 forks. The filler
 * forks run under FILLER_LOGINUID (written to /proc/self/loginuid, needs root) so a capture
 * whose audit rules filter on the workload's auid does not log them; the loginuid is set
 * back before the real fork. Exit status: COMMAND's, or 3 if the pid could not be steered
 * (COMMAND still ran, under another pid). */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static int set_loginuid(const char *value) {
  FILE *f = fopen("/proc/self/loginuid", "w");
  if (!f) return -1;
  int ok = fputs(value, f) >= 0;
  return fclose(f) == 0 && ok ? 0 : -1;
}

/* True when every pid strictly between last and target is taken (by a live process or
 * thread) and target is free: the kernel's cyclic allocator then hands out target next. */
static int next_free_is(pid_t last, pid_t target) {
  for (pid_t q = last + 1; q < target; q++)
    if (kill(q, 0) != 0 && errno == ESRCH) return 0;
  return kill(target, 0) != 0 && errno == ESRCH;
}

int main(int argc, char **argv) {
  if (argc < 4) {
    fprintf(stderr, "usage: %s TARGET FILLER_LOGINUID COMMAND [ARG...]\n", argv[0]);
    return 2;
  }
  pid_t target = (pid_t)atoi(argv[1]);
  char own[32];
  FILE *f = fopen("/proc/self/loginuid", "r");
  if (!f || !fgets(own, sizeof own, f)) return perror("loginuid"), 1;
  fclose(f);
  own[strcspn(own, "\n")] = 0;

  int max = 0;
  f = fopen("/proc/sys/kernel/pid_max", "r");
  if (!f || fscanf(f, "%d", &max) != 1) return perror("pid_max"), 1;
  fclose(f);

  if (set_loginuid(argv[2]) != 0) return perror("set filler loginuid"), 1;
  int steered = 0;
  for (int i = 0; i < 3 * max; i++) {
    /* vfork: on this VM fork() costs ~6 ms (page tables are copied through the
     * hypervisor), vfork ~0.35 ms; a child that only _exit()s is fine with vfork. */
    pid_t p = vfork();
    if (p < 0) break;
    if (p == 0) _exit(0);
    waitpid(p, NULL, 0);
    if (p < target && target - p <= 64 && next_free_is(p, target)) {
      steered = 1;
      break;
    }
  }
  if (set_loginuid(own) != 0) return perror("restore loginuid"), 1;

  pid_t child = fork();
  if (child == 0) {
    execv(argv[3], &argv[3]);
    _exit(127);
  }
  int status = 0;
  waitpid(child, &status, 0);
  fprintf(stderr, "pid-steer: wanted %d, got %d%s\n", (int)target, (int)child, steered ? "" : " (filler never reached target-1)");
  if (child != target) return 3;
  return WIFEXITED(status) ? WEXITSTATUS(status) : 1;
}
