# The classic daemon: a subshell starts a setsid grandchild and exits, so the grandchild is
# reparented to init (or the nearest subreaper). Daemon A exits inside the capture (its
# EXIT names its new parent); daemon B is still running when the capture stops (only the
# live /proc read knows its reaper) and is killed afterwards by record-sample.sh.
bash -c '
  ( setsid /bin/sh -c "sleep 0.6; exec sleep 0.6" & sleep 0.3; exit 0 )
  ( setsid /bin/sleep 30 & echo $! >> "$PT_CLEANUP"; sleep 0.3; exit 0 )
  sleep 1.5'
