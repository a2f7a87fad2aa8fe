#!/usr/bin/env bash
# Work inside a new pid namespace (what a container runtime does), beside host processes.
# Audit logs pid= and ppid= in the initial namespace, but a fork's return value (exit=) is
# the child's pid in the *caller's* namespace: every fork made inside the namespace names
# a pid that, on the host, is another process or none.
#   host:      sleep 3 (the "victim": its host pid is handed out inside the namespace too)
#              bash -c 'sleep 0.4 | cat; sleep 0.4' running at the same time
#   namespace: unshare --pid --fork --mount-proc sh -c '...' (dash is pid 1 inside):
#              a pipeline, an exec chain (sh -> env -> sleep), a background child, nested
#              subshells, then ns_last_pid steered so the next fork inside returns the
#              victim's host pid, then a second namespace nested in the first.
# Writing ns_last_pid is a write(2), not audited: only the forks it steers are in the log.
case "$1" in
prepare) ;;
run)
  sleep 3 &
  VICTIM=$!
  bash -c 'sleep 0.4 | cat; sleep 0.4' &
  unshare --pid --fork --mount-proc sh -c '
    sleep 0.3 | cat | wc -c
    sh -c "exec env sleep 0.3"
    sleep 0.8 &
    ( sleep 0.3; ( sleep 0.3; echo inner ) )
    echo $(($1 - 1)) >/proc/sys/kernel/ns_last_pid
    sleep 0.4
    unshare --pid --fork --mount-proc sh -c "sleep 0.3 | cat; sleep 0.2"
    wait
  ' sh "$VICTIM"
  wait
  ;;
*) echo "usage: $0 prepare|run DIR" >&2; exit 2 ;;
esac
