#!/usr/bin/env bash
# Processes killed by signals, with the signal-sending syscalls audited (signals-audited.rules:
# kill, tkill, tgkill): each SIGKILL leaves an OBJ_PID record naming its target, so the
# target's end is known at the kill, not only later when its children are reparented.
#   - sleep 30 killed by `kill -9` (kill syscall)
#   - bash with a child sleep 1.2, then exec sleep 30: killed by `kill -9`; the child is
#     reparented (to init or a subreaper) although its parent left no exit record
#   - a process group (setsid bash with two sleeps) killed at once by `kill -9 -- -PGID`
#   - a bash that ignores SIGTERM, sent SIGTERM: it must stay alive in the history, then
#     exits normally
#   - `timeout -s KILL 0.3 sleep 10`: timeout's own kill of its child
case "$1" in
prepare) ;;
run)
  sleep 30 &
  V=$!
  bash -c 'sleep 1.2 & exec sleep 30' &
  W=$!
  setsid bash -c 'sleep 20 & sleep 20 & wait' &
  G=$!
  bash -c 'trap "" TERM; sleep 0.6; sleep 0.2' &
  T=$!
  sleep 0.3
  kill -9 "$V" "$W"
  kill -9 -- "-$G"
  kill -TERM "$T"
  wait "$V" "$W" "$G" 2>/dev/null
  timeout -s KILL 0.3 sleep 10
  wait "$T"
  sleep 1.2
  ;;
*) echo "usage: $0 prepare|run DIR" >&2; exit 2 ;;
esac
