#!/usr/bin/env bash
# Daemons that outlive their parents and get reparented:
#   double-fork (C): parent -> child (setsid, exits after 0.3 s) -> daemon (reparented,
#     execs sleep 0.5 after 1 s)
#   shell style: ( sleep 1 & ) leaves sleep orphaned at once
#   python3 os.fork() double fork with os.setsid(), daemon execs sleep
case "$1" in
prepare) gcc -O2 -Wall -o "$2/double-fork" "$(dirname "$0")/double-fork.c" ;;
run)
  "$2/double-fork"
  ( sleep 1 & )
  sleep 0.2
  /usr/bin/python3 -c '
import os, time
if os.fork() == 0:
    os.setsid()
    if os.fork() == 0:
        time.sleep(0.8)
        os.execv("/bin/sleep", ["sleep", "0.3"])
    time.sleep(0.2)
    os._exit(0)
os.wait()
time.sleep(0.3)
'
  ;;
*) echo "usage: $0 prepare|run DIR" >&2; exit 2 ;;
esac
