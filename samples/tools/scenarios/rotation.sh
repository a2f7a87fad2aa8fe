#!/usr/bin/env bash
# A capture spread over three files: the harness's auditd is told to rotate (SIGUSR1) twice
# mid-workload, so audit.log.2 is the oldest and audit.log the newest. A sleep lives across
# both rotations (fork in the oldest file, exit in the newest) and a bash forks in one file
# and execs in the next.
case "$1" in
prepare) ;;
run)
  sleep 1.6 &
  bash -c 'sleep 0.3 | cat'
  kill -USR1 "$AUDITD_PID"
  sleep 0.3
  bash -c 'sleep 0.4; exec sleep 0.3' &
  sleep 0.2
  kill -USR1 "$AUDITD_PID"
  sleep 0.3
  bash -c 'sleep 0.2 | tr a b'
  wait
  ;;
*) echo "usage: $0 prepare|run DIR" >&2; exit 2 ;;
esac
