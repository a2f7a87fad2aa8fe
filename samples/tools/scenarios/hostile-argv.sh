#!/usr/bin/env bash
# Command lines an attacker controls: argv strings and an executable's file name holding
# HTML and script, for the HTML report's escaping test (test/report/). A report must show
# every one of them as text and run none.
#   1. bash -c with $0 = '<script>...</script>' runs a copy of sleep whose file name is an
#      <img onerror=...> tag (a child, not an exec: `; true` keeps bash from exec'ing it).
#   2. sh -c with $0 = '"><svg onload=...>' (attribute break-out) and an already-escaped
#      entity string (must not be unescaped once more).
HOSTILE_EXE="<img src=x onerror=document.title='pwned-exe'>"
case "$1" in
prepare) cp /bin/sleep "$2/$HOSTILE_EXE" ;;
run)
  DIR=$2
  bash -c 'sleep 0.3; "$1" 0.5; true' '<script>document.title="pwned-argv"</script>' "$DIR/$HOSTILE_EXE" &
  sh -c 'sleep 0.6; true' '"><svg onload=document.title="pwned-svg">' '&lt;b&gt;not bold&lt;/b&gt;' &
  wait
  ;;
*) echo "usage: $0 prepare|run DIR" >&2; exit 2 ;;
esac
