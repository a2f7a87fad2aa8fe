#!/usr/bin/env bash
# Rewrites the captures table in samples/auditd/README.md from the capture folders
# (between the "<!-- captures-table -->" markers). Run after (re)capturing.
set -euo pipefail
cd "$(dirname "$0")/../.."
table=$(node samples/tools/summarize-capture.mjs --markdown samples/auditd/*/)
node -e '
const fs = require("fs");
const file = "samples/auditd/README.md";
const text = fs.readFileSync(file, "utf8");
const block = "<!-- captures-table -->\n" + process.argv[1] + "\n<!-- /captures-table -->";
const re = /<!-- captures-table -->[\s\S]*?<!-- \/captures-table -->|CAPTURES-TABLE/;
if (!re.test(text)) { console.error("no table markers in " + file); process.exit(1); }
fs.writeFileSync(file, text.replace(re, block));
' "$table"
