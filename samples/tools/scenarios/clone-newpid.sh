#!/usr/bin/env bash
# A container's init made the way runtimes make it: clone(CLONE_NEWPID | SIGCHLD) (the
# flags are the clone record's a0), the child (pid 1 in the new namespace) execs sh -c.
# Beside it on the host:
#   sleep 3 (the "victim"): ns_last_pid is steered, before the namespaced sh's *first*
#     fork, so that fork returns the victim's host pid (no earlier fork could reveal the
#     namespace from its effect), and once more later on
#   bash -c 'sleep 0.4 | cat; sleep 0.4' running at the same time
# Inside: a pipeline, an exec chain (sh -> env -> sleep), a background child, nested
# subshells, a subshell that runs only builtins (its child never execs), a second steered fork.
# Writing ns_last_pid is a write(2) by a builtin echo, not audited: only the forks it steers are logged.
case "$1" in
prepare) gcc -O2 -Wall -o "$2/clone-newpid" "$(dirname "$0")/clone-newpid.c" ;;
run)
  sleep 3 &
  VICTIM=$!
  bash -c 'sleep 0.4 | cat; sleep 0.4' &
  "$2/clone-newpid" '
    echo $(($1 - 1)) >/proc/sys/kernel/ns_last_pid
    sleep 0.3 | cat | wc -c
    sh -c "exec env sleep 0.3"
    sleep 0.8 &
    ( sleep 0.3; ( sleep 0.3; echo inner ) )
    ( : ; echo builtins-only )
    echo $(($1 - 1)) >/proc/sys/kernel/ns_last_pid
    sleep 0.4
    sh -c "sleep 0.2 | cat; true"
    wait
  ' sh "$VICTIM"
  wait
  ;;
*) echo "usage: $0 prepare|run DIR" >&2; exit 2 ;;
esac
