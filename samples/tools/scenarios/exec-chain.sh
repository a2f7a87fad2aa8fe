#!/usr/bin/env bash
# A pid that changes image several times (execve and execveat), plus failed execs.
#   bash -> env -> sh (forks sleep 0.2) -> sleep 0.5, all one pid
#   bash -> execveat-run -(execveat)-> env -> sh -> sleep
#   env trying a missing command through every PATH entry: failed execve records (ENOENT)
case "$1" in
prepare) gcc -O2 -Wall -o "$2/execveat-run" "$(dirname "$0")/execveat-run.c" ;;
run)
  bash -c 'sleep 0.2; exec env sh -c "sleep 0.2; exec sleep 0.5"'
  bash -c 'sleep 0.2; exec "$0" /usr/bin env sh -c "sleep 0.2; exec sleep 0.3"' "$2/execveat-run"
  env proc-tree-no-such-command 2>/dev/null || true
  sh -c 'exec /nonexistent/proc-tree-missing' 2>/dev/null || true
  ;;
*) echo "usage: $0 prepare|run DIR" >&2; exit 2 ;;
esac
