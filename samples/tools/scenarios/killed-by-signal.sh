#!/usr/bin/env bash
# Processes killed by SIGKILL leave no exit record.
#   victim: sleep 30, killed after 0.3 s; its pid is then reused elsewhere in the tree
#   parent: bash that execs sleep 30 with a child sleep 1.2; killed, so the child is
#     reparented although no exit record of its parent exists
# pid_max is lowered so the victim's pid can be reused (see pid-reuse.sh for pid-steer).
SCENARIO_PID_MAX=2000
case "$1" in
prepare) gcc -O2 -Wall -o "$2/pid-steer" "$(dirname "$0")/pid-steer.c" ;;
run)
  DIR=$2
  FILLER=$((MARKER + 1))
  sleep 30 &
  V=$!
  bash -c 'sleep 1.2 & exec sleep 30' &
  W=$!
  sleep 0.3
  kill -9 "$V" "$W"
  wait "$V" "$W" 2>/dev/null
  for _ in 1 2 3; do
    ("$DIR/pid-steer" "$V" "$FILLER" /bin/sleep 0.3) && break
  done
  ;;
*) echo "usage: $0 prepare|run DIR" >&2; exit 2 ;;
esac
