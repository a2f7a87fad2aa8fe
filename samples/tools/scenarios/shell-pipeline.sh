#!/usr/bin/env bash
# Shell pipelines with subshells and command substitution. Every stage lives >= 0.2 s so
# the 10 ms truth prober sees each one under its real parent:
#   root bash -> bash -c -> ( subshell: echo; sleep ) | sed | grep ; sleep | cat ; $(...)
case "$1" in
prepare) ;;
run)
  bash -c '( echo foo; sleep 0.3 ) | sed s/foo/bar/ | grep bar; sleep 0.3 | cat; x=$(sleep 0.2; echo baz); echo "$x"'
  # A pipeline whose first stage is a subshell that itself forks a pipeline.
  bash -c '( sleep 0.2 | tr a b; echo done ) | ( read -r line; sleep 0.2; echo "$line" )'
  ;;
*) echo "usage: $0 prepare|run DIR" >&2; exit 2 ;;
esac
