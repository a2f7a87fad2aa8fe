#!/usr/bin/env bash
# Records one real proc connector sample with its /proc ground truth:
#   adapters/proc-connector/tools/record-sample.sh NAME
# runs scenarios/NAME.sh (as root) while `proc-tree capture` and truth-probe run, and
# writes samples/proc-connector/NAME.cap (+ .meta.json, .snapshot.json, .live.ndjson)
# and NAME.truth.json. Needs a built tree: `npx tsc -p .` and the addon (`npm ci`).
set -euo pipefail
cd "$(dirname "$0")/../../.."
name=${1:?usage: record-sample.sh NAME}
script=adapters/proc-connector/tools/scenarios/$name.sh
[ -f "$script" ] || { echo "no scenario $script" >&2; exit 2; }
out=samples/proc-connector/$name.cap
cleanup=$(mktemp)
rm -f "$out" "$out".*

node dist/src/cli/main.js capture -o "$out" &
capture=$!
until [ -f "$out.meta.json" ]; do sleep 0.02; done
node dist/adapters/proc-connector/tools/truth-probe.js --scenario "$name" --out "samples/proc-connector/$name.truth.json" &
probe=$!
sleep 0.3
PT_SCENARIO=$name PT_CLEANUP=$cleanup bash "$script"
sleep 0.3
kill -TERM "$probe"; wait "$probe"
kill -INT "$capture"; wait "$capture" || echo "capture reported loss (exit $?)" >&2
# Processes a scenario left running on purpose (a daemon alive past the capture's end).
while read -r pid; do kill "$pid" 2>/dev/null || true; done < "$cleanup"
rm -f "$cleanup"
ls -l "$out"* "samples/proc-connector/$name.truth.json"
