#!/usr/bin/env bash
# Threads that spawn processes: a C program with pthreads (fork, posix_spawn via clone3,
# exec from a non-main thread) and python3 threads running subprocess (vfork).
case "$1" in
prepare) gcc -O2 -Wall -pthread -o "$2/threads-spawn" "$(dirname "$0")/threads-spawn.c" ;;
run)
  "$2/threads-spawn"
  /usr/bin/python3 -c '
import subprocess, threading, time
def work(n):
    time.sleep(0.05 * n)
    subprocess.run(["sleep", "0.3"])
ts = [threading.Thread(target=work, args=(i,)) for i in range(3)]
for t in ts: t.start()
for t in ts: t.join()
'
  ;;
*) echo "usage: $0 prepare|run DIR" >&2; exit 2 ;;
esac
