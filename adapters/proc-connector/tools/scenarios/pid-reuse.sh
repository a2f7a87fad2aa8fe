# Pid reuse under a lowered pid_max (2000: never lower, see the brief). Ten marked sleeps
# take pids X..; unmarked churn cycles the pid space until the next pid is just below X;
# ten more marked sleeps, started by a subshell, then get some of the same pids again. Holds the kernel lock throughout
# and restores pid_max on any exit.
exec 9>/tmp/proc-tree-kernel.lock
flock 9
old=$(cat /proc/sys/kernel/pid_max)
trap 'echo "$old" > /proc/sys/kernel/pid_max' EXIT
echo 2000 > /proc/sys/kernel/pid_max
first=()
for i in 1 2 3 4 5 6 7 8 9 10; do sleep 0.05 & first+=($!); done
wait
# The middle one: >= 304 even right after a wrap (pids restart at 300), so t-4 exists.
target=${first[4]}
# Churn without the scenario marker, so the truth probe ignores it.
env -u PT_SCENARIO bash -c '
  t=$1
  for ((i = 0; i < 2500; i++)); do
    ( : ) & p=$!; wait $p
    if (( p >= t - 4 && p < t )); then exit 0; fi
  done
  echo "churn never reached pid $t" >&2' churn "$target"
# From a subshell, so a reused pid also has a different parent than its first holder.
(
  second=()
  for i in 1 2 3 4 5 6 7 8 9 10; do sleep 0.05 & second+=($!); done
  wait
  echo "pid-reuse: first ${first[*]}; second (parent $BASHPID) ${second[*]}" >&2
)
