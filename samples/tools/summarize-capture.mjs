#!/usr/bin/env node
// Prints what a capture folder holds, to check a capture by eye and to fill the table in
// samples/auditd/README.md: record counts per type, syscall counts per arch, and with
// --events one line per SYSCALL record of the workload next to the truth probes.
//
//   node samples/tools/summarize-capture.mjs samples/auditd/NAME [--events]
//   node samples/tools/summarize-capture.mjs --markdown samples/auditd/*/   (README table rows)
//
// A deliberately naive reader (regexes over whole lines): it is a checking aid, not the
// project's auditd adapter, and must stay independent of it.
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

const args = process.argv.slice(2);
const showEvents = args.includes('--events');
const markdown = args.includes('--markdown');
const dirs = args.filter((a) => !a.startsWith('--'));
if (dirs.length === 0) {
  process.stderr.write('usage: summarize-capture.mjs CAPTURE_DIR... [--events | --markdown]\n');
  process.exit(2);
}
const SYSCALL_NAMES = {
  c000003e: { 56: 'clone', 57: 'fork', 58: 'vfork', 59: 'execve', 60: 'exit', 231: 'exit_group', 322: 'execveat', 435: 'clone3' },
  '40000003': { 1: 'exit', 2: 'fork', 11: 'execve', 120: 'clone', 190: 'vfork', 252: 'exit_group', 358: 'execveat', 435: 'clone3' },
};
if (markdown) {
  console.log('| capture | scenario | format | audited | files (bytes) | records | process syscalls | truth probes / processes | captured (UTC) |');
  console.log('|---|---|---|---|---|---|---|---|---|');
}
for (const dir of dirs) summarize(dir);

function summarize(dir) {
  const meta = JSON.parse(readFileSync(join(dir, 'capture.json'), 'utf8'));
  const logDir = join(dir, 'logs');
  // Oldest first: audit.log.N ... audit.log.1, audit.log.
  const files = readdirSync(logDir).sort((a, b) => suffix(b) - suffix(a));
  function suffix(name) {
    const m = /\.(\d+)$/.exec(name);
    return m ? Number(m[1]) : 0;
  }
  const types = new Map();
  const syscalls = new Map();
  const events = [];
  let lines = 0;
  let bytes = 0;
  for (const file of files) {
    const text = readFileSync(join(logDir, file), 'latin1');
    bytes += text.length;
    for (const line of text.split('\n')) {
      if (!line) continue;
      lines++;
      const type = /(?:^|\s)type=(\w+)/.exec(line)?.[1] ?? '?';
      types.set(type, (types.get(type) ?? 0) + 1);
      if (type !== 'SYSCALL') continue;
      const f = (k) => new RegExp(`\\s${k}=("[^"]*"|\\S+)`).exec(line)?.[1];
      const arch = f('arch');
      const nr = Number(f('syscall'));
      const name = SYSCALL_NAMES[arch]?.[nr];
      if (!name) continue;
      const key = `${arch === 'c000003e' ? 'x86_64' : arch === '40000003' ? 'i386' : arch}:${name}`;
      syscalls.set(key, (syscalls.get(key) ?? 0) + 1);
      const id = /audit\((\d+\.\d+):(\d+)\)/.exec(line);
      events.push({ file, id: id ? `${id[1]}:${id[2]}` : '?', name, pid: f('pid'), ppid: f('ppid'), exit: f('exit'), comm: f('comm'), exe: f('exe') });
    }
  }
  const truthFile = readdirSync(dir).find((n) => n.endsWith('.truth.json'));
  const truth = truthFile ? JSON.parse(readFileSync(join(dir, truthFile), 'utf8')) : { probes: [] };
  const instances = new Set(truth.probes.map((p) => `${p.pid}/${p.chain[0].startTimeNs}`));
  if (markdown) {
    const audited = meta.filter === 'none' ? 'whole machine' : `auid=${meta.markerLoginuid}`;
    const node = meta.nameFormat === 'HOSTNAME' ? ', node=' : '';
    const fileList = meta.logs.map((l) => `${l.file} (${l.bytes})`).join(', ');
    const sys = [...syscalls].sort().map(([k, v]) => `${k.replace('x86_64:', '')} ${v}`).join(', ');
    console.log(
      `| ${meta.name} | ${meta.scenario} | ${meta.logFormat}${node} | ${audited} | ${fileList} | ${lines} | ${sys} | ${truth.probes.length} / ${instances.size} | ${meta.startedAt.slice(0, 19)} |`,
    );
    return;
  }
  console.log(`${meta.name}: ${files.join(', ')}; ${lines} records, ${bytes} bytes`);
  console.log('record types:', Object.fromEntries([...types].sort()));
  console.log('syscalls:', Object.fromEntries([...syscalls].sort()));
  if (truthFile) {
    console.log(`truth: ${truth.probes.length} probes of ${instances.size} process instances`);
    if (showEvents) {
      const rows = [
        ...events.map((e) => ({ t: e.id.split(':')[0], s: `LOG   ${e.file} ${e.id} ${e.name} pid=${e.pid} ppid=${e.ppid} exit=${e.exit} ${e.comm} ${e.exe}` })),
        ...truth.probes.map((p) => ({
          t: (Number(BigInt(p.atNs) / 1000n) / 1e6).toFixed(6),
          s: `PROBE ${p.pid} ${p.chain.map((c) => `${c.pid}(${c.comm})`).join(' < ')}`,
        })),
      ].sort((a, b) => Number(a.t) - Number(b.t));
      for (const r of rows) console.log(r.t, r.s);
    }
  }
}
