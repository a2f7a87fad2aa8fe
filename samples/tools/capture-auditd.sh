#!/usr/bin/env bash
# Records a real auditd capture of one scenario, with the /proc ground truth beside it.
#
#   samples/tools/capture-auditd.sh SCENARIO OUTDIR [RAW|ENRICHED]
#
# SCENARIO is a script in samples/tools/scenarios/ (SCENARIO.sh, phases `prepare DIR` and
# `run DIR`). OUTDIR receives:
#   logs/audit.log[.N]      the log files exactly as auditd wrote them (rotated ones too)
#   NAME.truth.json         what /proc showed during the capture (samples/README.md)
#   auditd.conf, audit.rules  the exact daemon config and rules used
#   capture.json            command, kernel, auditd version, date, root pid, ...
#
# Environment knobs (all optional):
#   NAME_FORMAT=NONE|HOSTNAME  auditd name_format (HOSTNAME adds `node=` prefixes)
#   FILTER=auid|none           auid: log only the workload (its loginuid is MARKER);
#                              none: log the whole machine (noisy, large)
#   MARKER=4242                loginuid given to the workload root (inherited by all
#                              descendants, survives reparenting: how we find them)
#   PROBE_INTERVAL_MS=10       truth prober poll interval
#
# A scenario may add audit rules in SCENARIO.rules beside its script (loaded after the
# process rules; `@AUID_FILTER@` becomes the FILTER's `-F auid=MARKER` or nothing).
#
# Scenario scripts may declare, on a line of their own:
#   SCENARIO_PID_MAX=N         lower kernel.pid_max to N (>= 2000) during the capture
#   SCENARIO_FILTER=none       default FILTER for that scenario
#
# Holds /tmp/proc-tree-kernel.lock for the whole capture (one auditd owns the kernel audit
# socket; pid_max is machine-wide) and restores rules, audit state and pid_max on exit.
set -euo pipefail

if [[ $# -lt 2 || $# -gt 3 ]]; then
  echo "usage: $0 SCENARIO OUTDIR [RAW|ENRICHED]" >&2
  exit 2
fi
SCENARIO=$1
OUTDIR=$2
FORMAT=${3:-RAW}
case "$FORMAT" in RAW | ENRICHED) ;; *) echo "log format must be RAW or ENRICHED, got $FORMAT" >&2; exit 2 ;; esac

HERE=$(cd "$(dirname "$0")" && pwd)
SCRIPT=$HERE/scenarios/$SCENARIO.sh
[[ -f $SCRIPT ]] || { echo "no scenario script $SCRIPT" >&2; exit 2; }
[[ $(id -u) == 0 ]] || { echo "run as root (auditd, auditctl, /proc/self/loginuid)" >&2; exit 2; }

setting() { sed -n "s/^$1=\([A-Za-z0-9]*\).*/\1/p" "$SCRIPT" | head -1; }
PID_MAX_WANTED=$(setting SCENARIO_PID_MAX)
FILTER=${FILTER:-$(setting SCENARIO_FILTER)}
FILTER=${FILTER:-auid}
NAME_FORMAT=${NAME_FORMAT:-NONE}
MARKER=${MARKER:-4242}
PROBE_INTERVAL_MS=${PROBE_INTERVAL_MS:-10}
LEFTOVER_TIMEOUT_S=10
NAME=$(basename "$OUTDIR")
COMMAND="NAME_FORMAT=$NAME_FORMAT FILTER=$FILTER MARKER=$MARKER PROBE_INTERVAL_MS=$PROBE_INTERVAL_MS samples/tools/capture-auditd.sh $SCENARIO samples/auditd/$NAME $FORMAT"

if [[ -n $PID_MAX_WANTED && $PID_MAX_WANTED -lt 2000 ]]; then
  echo "SCENARIO_PID_MAX must be >= 2000: other processes on this machine need pids too" >&2
  exit 2
fi

TMP=$(mktemp -d /tmp/capture-auditd.XXXXXX)
WORK=$TMP/work
mkdir -p "$TMP/log" "$TMP/plugins" "$WORK"
trap 'rm -rf "$TMP"' EXIT # replaced by the full cleanup once we hold the lock

# --- prepare (unlogged: compiling with gcc would flood the log) -------------------------
bash "$SCRIPT" prepare "$WORK"

exec 9>>/tmp/proc-tree-kernel.lock
echo "capture-auditd: waiting for /tmp/proc-tree-kernel.lock" >&2
flock -w 1200 9 || { echo "could not take the kernel lock in 20 min" >&2; exit 1; }

OLD_PID_MAX=$(cat /proc/sys/kernel/pid_max)
OLD_ENABLED=$(auditctl -s | sed -n 's/^enabled //p')
OLD_BACKLOG=$(auditctl -s | sed -n 's/^backlog_limit //p')
AUDITD_PID=
PROBER_PID=

marked_pids() {
  local f
  for f in /proc/[0-9]*/loginuid; do
    [[ $(cat "$f" 2>/dev/null) == "$MARKER" ]] && { f=${f#/proc/}; echo "${f%/loginuid}"; }
  done
  return 0
}

cleanup() {
  set +e
  local p
  for p in $(marked_pids); do kill -9 "$p" 2>/dev/null; done
  [[ -n $PROBER_PID ]] && kill -TERM "$PROBER_PID" 2>/dev/null
  auditctl -D >/dev/null 2>&1
  if [[ -n $AUDITD_PID ]] && kill -0 "$AUDITD_PID" 2>/dev/null; then
    kill -TERM "$AUDITD_PID"
    wait "$AUDITD_PID" 2>/dev/null
  fi
  auditctl -e "${OLD_ENABLED:-0}" >/dev/null 2>&1
  auditctl -b "${OLD_BACKLOG:-64}" >/dev/null 2>&1
  echo "$OLD_PID_MAX" >/proc/sys/kernel/pid_max
  rm -rf "$TMP"
  flock -u 9
}
trap cleanup EXIT
trap 'exit 130' INT TERM

if auditctl -s | grep -q '^pid [1-9]'; then
  echo "another auditd owns the kernel audit socket ($(auditctl -s | grep '^pid')): stop it first" >&2
  exit 1
fi

# --- auditd with our own config ----------------------------------------------------------
cat >"$TMP/auditd.conf" <<EOF
local_events = yes
write_logs = yes
log_file = $TMP/log/audit.log
log_group = root
log_format = $FORMAT
flush = INCREMENTAL_ASYNC
freq = 20
max_log_file = 8
num_logs = 5
max_log_file_action = ROTATE
priority_boost = 4
name_format = $NAME_FORMAT
space_left = 2
space_left_action = IGNORE
admin_space_left = 1
admin_space_left_action = IGNORE
disk_full_action = IGNORE
disk_error_action = IGNORE
q_depth = 2000
overflow_action = SYSLOG
plugin_dir = $TMP/plugins
end_of_event_timeout = 2
EOF

SYSCALLS=fork,vfork,clone,clone3,execve,execveat,exit,exit_group
AUID_FILTER=
[[ $FILTER == auid ]] && AUID_FILTER="-F auid=$MARKER"
cat >"$TMP/audit.rules" <<EOF
-D
-b 8192
-a always,exit -F arch=b64 -S $SYSCALLS $AUID_FILTER -k proctree
-a always,exit -F arch=b32 -S $SYSCALLS $AUID_FILTER -k proctree
EOF
EXTRA_RULES=$HERE/scenarios/$SCENARIO.rules
[[ -f $EXTRA_RULES ]] && sed "s|@AUID_FILTER@|$AUID_FILTER|g" "$EXTRA_RULES" >>"$TMP/audit.rules"

auditd -n -c "$TMP" 9>&- >"$TMP/auditd.out" 2>&1 &
AUDITD_PID=$!
for _ in $(seq 100); do
  auditctl -s | grep -q "^pid $AUDITD_PID\$" && break
  kill -0 "$AUDITD_PID" 2>/dev/null || { cat "$TMP/auditd.out" >&2; echo "auditd died" >&2; exit 1; }
  sleep 0.05
done
auditctl -R "$TMP/audit.rules" >/dev/null

if [[ -n $PID_MAX_WANTED ]]; then echo "$PID_MAX_WANTED" >/proc/sys/kernel/pid_max; fi

# --- truth prober, then the workload -----------------------------------------------------
# Raised priority: with ~6 busy helpers on 2 cores an unboosted prober was seen starved
# for 300 ms, missing whole pipeline stages.
nice -n -15 node "$HERE/truth-prober.mjs" --marker "$MARKER" --out "$TMP/truth.json" --ready "$TMP/prober.ready" \
  --scenario "$SCENARIO" --captured-with "$COMMAND" --interval-ms "$PROBE_INTERVAL_MS" 9>&- &
PROBER_PID=$!
for _ in $(seq 200); do [[ -s $TMP/prober.ready ]] && break; sleep 0.02; done

STARTED_AT=$(date -u +%FT%T.%NZ)
# The root marks itself (its loginuid, inherited by every descendant) and then execs the
# scenario, so the root's own execve is already in the log.
(exec 9>&- && AUDITD_PID=$AUDITD_PID MARKER=$MARKER exec bash -c 'echo "$0" >/proc/self/loginuid && exec bash "$1" run "$2"' \
  "$MARKER" "$SCRIPT" "$WORK") &
ROOT_PID=$!
set +e
wait "$ROOT_PID"
ROOT_STATUS=$?
set -e

# Daemons of the scenario may outlive the root: let them finish.
for _ in $(seq $((LEFTOVER_TIMEOUT_S * 20))); do [[ -z $(marked_pids) ]] && break; sleep 0.05; done
LEFTOVERS=$(marked_pids | tr '\n' ' ')
ENDED_AT=$(date -u +%FT%T.%NZ)
sleep 0.05
kill -TERM "$PROBER_PID"
wait "$PROBER_PID"
PROBER_PID=
echo "$OLD_PID_MAX" >/proc/sys/kernel/pid_max

auditctl -D >/dev/null
sleep 0.2
kill -TERM "$AUDITD_PID"
wait "$AUDITD_PID" || true
AUDITD_PID=

# --- copy out ------------------------------------------------------------------------------
rm -rf "$OUTDIR"
mkdir -p "$OUTDIR/logs"
cp "$TMP"/log/audit.log* "$OUTDIR/logs/"
chmod 644 "$OUTDIR"/logs/*
cp "$TMP/truth.json" "$OUTDIR/$NAME.truth.json"
sed "s|$TMP|/tmp/capture-auditd.XXXXXX|g" "$TMP/auditd.conf" >"$OUTDIR/auditd.conf"
cp "$TMP/audit.rules" "$OUTDIR/audit.rules"

LOGS_JSON=$(cd "$OUTDIR/logs" && for f in $(ls | sort -V); do
  printf '{"file":"%s","bytes":%s,"lines":%s}\n' "$f" "$(stat -c %s "$f")" "$(wc -l <"$f")"
done | paste -sd, -)
cat >"$OUTDIR/capture.json" <<EOF
{
  "name": "$NAME",
  "scenario": "$SCENARIO",
  "command": "$COMMAND",
  "logFormat": "$FORMAT",
  "nameFormat": "$NAME_FORMAT",
  "filter": "$FILTER",
  "markerLoginuid": $MARKER,
  "rootPid": $ROOT_PID,
  "rootExitStatus": $ROOT_STATUS,
  "leftoversKilled": "$LEFTOVERS",
  "pidMaxDuringCapture": ${PID_MAX_WANTED:-$OLD_PID_MAX},
  "startedAt": "$STARTED_AT",
  "endedAt": "$ENDED_AT",
  "kernel": "$(uname -r)",
  "auditd": "$(dpkg-query -W -f '${Version}' auditd 2>/dev/null || echo unknown)",
  "host": "$(hostname)",
  "logs": [$LOGS_JSON]
}
EOF
echo "capture-auditd: $SCENARIO -> $OUTDIR (root pid $ROOT_PID, status $ROOT_STATUS)" >&2
