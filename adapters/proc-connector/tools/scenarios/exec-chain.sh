# One pid, three images: bash -> exec env -> exec sh -> (child sleep) -> exec sleep.
bash -c 'sleep 0.2; exec /usr/bin/env /bin/sh -c "sleep 0.2; exec /bin/sleep 0.3"'
