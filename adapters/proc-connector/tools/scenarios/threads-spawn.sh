# A non-leader thread starts children: the FORK's parent pid is the worker thread's tid,
# its parent tgid the node process.
node -e '
const { Worker } = require("node:worker_threads");
new Worker(`
  const cp = require("node:child_process");
  cp.spawnSync("/bin/sleep", ["0.3"]);
  cp.spawnSync("/bin/sh", ["-c", "sleep 0.2; true"]);
`, { eval: true });'
