#!/usr/bin/env bash
# Pid reuse with a lowered pid_max: the same pid held by two processes at different places
# in the tree, at different times.
#   1. sleep (child of the root) exits; pid-steer hands its pid to a sleep two levels down.
#   2. a parent exits leaving an orphan; its pid goes to an unrelated sleep while the
#      orphan still runs (the orphan's parent is init/subreaper, never the new holder).
# pid-steer's throw-away filler forks run under loginuid MARKER+1 so they stay out of the
# log (the rules filter on auid=MARKER).
SCENARIO_PID_MAX=2000
case "$1" in
prepare) gcc -O2 -Wall -o "$2/pid-steer" "$(dirname "$0")/pid-steer.c" ;;
run)
  DIR=$2
  FILLER=$((MARKER + 1))
  for _ in 1 2 3; do
    sleep 0.3 &
    P=$!
    wait "$P"
    ("$DIR/pid-steer" "$P" "$FILLER" /bin/sleep 0.3) && break
  done
  for _ in 1 2 3; do
    bash -c 'sleep 2 & sleep 0.3' &
    Q=$!
    wait "$Q"
    ("$DIR/pid-steer" "$Q" "$FILLER" /bin/sleep 0.4) && break
  done
  ;;
*) echo "usage: $0 prepare|run DIR" >&2; exit 2 ;;
esac
