#!/usr/bin/env bash
# Record a REAL audit log on this machine with auditd under a heavy fork/exec workload.
#
#   sudo bench/record-real-audit-log.sh [--seconds N] [--format enriched|raw] [--node]
#                                       [--rotate-mb N] [--out DIR]
#
# Output: DIR/audit.log (+ audit.log.1 ... when --rotate-mb is given) and DIR/RECORDED.txt
# saying how it was made. DIR defaults to bench/data/real-<format>/ (git ignores bench/data/).
#
# Why a private auditd: only one process can own the kernel audit socket, and the system
# auditd.conf starts plugins (laurel) we do not want in the measurement. We run
# `auditd -n -c OUR_DIR` with our own auditd.conf and an empty plugin dir, holding
# /tmp/proc-tree-kernel.lock for the whole time (other helpers record fixtures too), and we
# always put the kernel back as we found it: rules deleted, backlog limit and enabled flag
# restored, our auditd stopped.
set -euo pipefail

seconds=10
format=enriched
node=no
rotate_mb=0
out=""
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"

while [[ $# -gt 0 ]]; do
  case "$1" in
    --seconds) seconds="$2"; shift 2 ;;
    --format) format="$2"; shift 2 ;;
    --node) node=yes; shift ;;
    --rotate-mb) rotate_mb="$2"; shift 2 ;;
    --out) out="$2"; shift 2 ;;
    -h|--help) sed -n '2,9p' "$0"; exit 0 ;;
    *) echo "record-real-audit-log: unknown option $1 (see --help)" >&2; exit 2 ;;
  esac
done
case "$format" in enriched|raw) ;; *) echo "record-real-audit-log: --format must be enriched or raw" >&2; exit 2 ;; esac
[[ $(id -u) == 0 ]] || { echo "record-real-audit-log: must run as root (auditd needs the audit socket)" >&2; exit 2; }
for tool in auditd auditctl flock; do
  command -v "$tool" >/dev/null || { echo "record-real-audit-log: $tool not found (apt-get install auditd util-linux)" >&2; exit 2; }
done

out="${out:-$here/data/real-$format}"
mkdir -p "$out"
rm -f "$out"/audit.log "$out"/audit.log.[0-9]* "$out"/combined.log
conf="$(mktemp -d /tmp/proc-tree-bench-auditd.XXXXXX)"
mkdir -p "$conf/plugins.d"

# max_log_file is in MB; with rotation off we make it large and ignore it.
if [[ "$rotate_mb" -gt 0 ]]; then max_mb="$rotate_mb"; max_action=rotate; else max_mb=100000; max_action=ignore; fi
if [[ "$node" == yes ]]; then name_format=hostname; else name_format=none; fi

cat >"$conf/auditd.conf" <<EOF
local_events = yes
write_logs = yes
log_file = $out/audit.log
log_group = root
log_format = ${format^^}
flush = none
freq = 0
max_log_file = $max_mb
num_logs = 99
max_log_file_action = $max_action
priority_boost = 4
name_format = $name_format
space_left = 2
space_left_action = ignore
admin_space_left = 1
admin_space_left_action = ignore
disk_full_action = ignore
disk_error_action = ignore
q_depth = 20000
overflow_action = ignore
max_restarts = 0
plugin_dir = $conf/plugins.d
end_of_event_timeout = 2
EOF

# The rule set the adapter is built for: every process-lifecycle syscall, both ABIs.
cat >"$conf/rules" <<'EOF'
-a always,exit -F arch=b64 -S fork,vfork,clone,clone3,execve,execveat -k proc
-a always,exit -F arch=b64 -S exit,exit_group -k proc-exit
-a always,exit -F arch=b32 -S fork,vfork,clone,execve,execveat -k proc
-a always,exit -F arch=b32 -S exit,exit_group -k proc-exit
EOF

# Everything below runs under the kernel lock (fd 9), released when this script exits.
exec 9>/tmp/proc-tree-kernel.lock
echo "record-real-audit-log: waiting for /tmp/proc-tree-kernel.lock ..." >&2
flock 9

if pgrep -x auditd >/dev/null; then
  echo "record-real-audit-log: another auditd is running (pid $(pgrep -x auditd | tr '\n' ' ')); stop it first" >&2
  exit 1
fi

old_backlog="$(auditctl -s | awk '$1 == "backlog_limit" { print $2 }')"
old_enabled="$(auditctl -s | awk '$1 == "enabled" { print $2 }')"
auditd_pid=""
workload_pids=()

cleanup() {
  set +e
  for p in "${workload_pids[@]}"; do kill -- "-$p" 2>/dev/null; kill "$p" 2>/dev/null; done
  auditctl -D >/dev/null 2>&1
  if [[ -n "$auditd_pid" ]]; then
    kill -TERM "$auditd_pid" 2>/dev/null
    for _ in $(seq 50); do kill -0 "$auditd_pid" 2>/dev/null || break; sleep 0.1; done
  fi
  [[ -n "$old_backlog" ]] && auditctl -b "$old_backlog" >/dev/null 2>&1
  [[ -n "$old_enabled" ]] && auditctl -e "$old_enabled" >/dev/null 2>&1
  rm -rf "$conf"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

auditctl -D >/dev/null
auditd -n -c "$conf" &
auditd_pid=$!
# auditd is ready once it has registered itself with the kernel.
for _ in $(seq 100); do
  [[ "$(auditctl -s | awk '$1 == "pid" { print $2 }')" == "$auditd_pid" ]] && break
  sleep 0.05
done
[[ "$(auditctl -s | awk '$1 == "pid" { print $2 }')" == "$auditd_pid" ]] || { echo "record-real-audit-log: auditd did not start" >&2; exit 1; }
# A burst of fork/exec overflows the default backlog of 64 and the kernel would drop records.
auditctl -b 65536 >/dev/null
auditctl -R "$conf/rules" >/dev/null
auditctl -e 1 >/dev/null
lost_before="$(auditctl -s | awk '$1 == "lost" { print $2 }')"

# ---- the workload: many short processes in the shapes real systems produce ----------------
workdir="$(mktemp -d /tmp/proc-tree-bench-work.XXXXXX)"
deadline=$(( $(date +%s) + seconds ))

# 1. A shell spawning trivial commands, pipelines and exec chains as fast as it can.
( cd "$workdir"; while (( $(date +%s) < deadline )); do
    /bin/true; echo x | cat | wc -c >/dev/null
    sh -c 'exec env true'
    bash -c 'sh -c "sh -c true"'
  done ) & workload_pids+=($!)

# 2. Long argument lists (EXECVE aN_len chunks / many aN fields) and arguments that need hex.
( while (( $(date +%s) < deadline )); do
    /bin/true $(seq 1 400)
    /bin/true "$(head -c 9000 /dev/zero | tr '\0' 'A')"
    /bin/echo "two words" 'tab	here' "quote\"d" >/dev/null
  done ) & workload_pids+=($!)

# 3. Threads that spawn children (clone with CLONE_THREAD, clone3, posix_spawn from a thread)
#    and a daemon's double fork, reparented to init/subreaper.
# The distribution's python, not a pyenv shim (a shim is a dozen bash execs per start).
py=/usr/bin/python3; [[ -x $py ]] || py="$(command -v python3)"
( while (( $(date +%s) < deadline )); do
    "$py" - <<'PY'
import os, subprocess, threading
def work():
    subprocess.run(["/bin/true"])
    subprocess.run(["/bin/sh", "-c", "true"])
ts = [threading.Thread(target=work) for _ in range(4)]
for t in ts: t.start()
for t in ts: t.join()
if os.fork() == 0:
    if os.fork() == 0:
        os.execv("/bin/sleep", ["sleep", "0.05"])
    os._exit(0)
os.wait()
PY
  done ) & workload_pids+=($!)

for p in "${workload_pids[@]}"; do wait "$p" || true; done
workload_pids=()
rm -rf "$workdir"

lost_after="$(auditctl -s | awk '$1 == "lost" { print $2 }')"
auditctl -D >/dev/null
# Let auditd drain its queue before we stop it.
sleep 1
kill -TERM "$auditd_pid"; wait "$auditd_pid" 2>/dev/null || true
auditd_pid=""

bytes=$(cat "$out"/audit.log* | wc -c)
lines=$(cat "$out"/audit.log* | wc -l)
cat >"$out/RECORDED.txt" <<EOF
Recorded by bench/record-real-audit-log.sh --seconds $seconds --format $format$( [[ $node == yes ]] && echo " --node" )$( [[ $rotate_mb -gt 0 ]] && echo " --rotate-mb $rotate_mb" )
at $(date -u +%Y-%m-%dT%H:%M:%SZ) on $(hostname) ($(uname -r)), auditd $(dpkg-query -W -f '${Version}' auditd 2>/dev/null || echo '?')
rules:
$(sed 's/^/  /' "$conf/rules")
lines: $lines  bytes: $bytes  kernel lost counter: $lost_before -> $lost_after
EOF
echo "record-real-audit-log: $lines lines, $bytes bytes in $out (kernel lost: $((lost_after - lost_before)))" >&2
