#!/usr/bin/env bash
# A 32-bit program that forks and execs (i386 syscall numbers, arch=40000003).
# Needs a kernel that runs 32-bit code (CONFIG_IA32_EMULATION and ia32_emulation on).
case "$1" in
prepare)
  gcc -m32 -O2 -Wall -o "$2/i386-fork-exec" "$(dirname "$0")/i386-fork-exec.c"
  if ! "$2/i386-fork-exec" 2>/dev/null; then
    echo "i386: this kernel does not run 32-bit programs (ia32 emulation off?): cannot capture" >&2
    exit 1
  fi
  ;;
run) "$2/i386-fork-exec" ;;
*) echo "usage: $0 prepare|run DIR" >&2; exit 2 ;;
esac
