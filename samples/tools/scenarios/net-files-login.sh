#!/usr/bin/env bash
# Audit events beyond the process syscalls, for `enrich` and `explain`: network connects,
# writes into a watched directory, and logins with their PAM records.
#   - a python3 HTTP listener of the workload on 127.0.0.1; curl, bash's /dev/tcp and a
#     python3 socket client connect to it (connect records: SYSCALL + SOCKADDR)
#   - writes into /tmp/proc-tree-watched (rule -w ... -p wa: openat records with PATH)
#   - `login -f ptlogin` on a pty (util-linux `script`): USER_LOGIN, USER_START from login;
#     the session's shell connects and writes
#   - `ssh ptlogin@127.0.0.1` to an sshd the workload starts on a free port: USER_AUTH,
#     USER_LOGIN, CRYPTO_KEY_USER from sshd; the remote command connects and writes
#   - `su` and `runuser` to ptlogin: USER_ACCT, CRED_ACQ, USER_START, USER_END, CRED_DISP
# The user ptlogin is made with uid 4242, the capture's marker: pam_loginuid sets each
# session's loginuid to the user's uid, so the sessions stay in the workload (the rules
# and the truth prober select processes by loginuid). prepare makes the user, keys and
# directories (needs openssh-server and openssh-client: apt-get install openssh-server).
# Extra audit rules: net-files-login.rules beside this script.
WATCHED=/tmp/proc-tree-watched
case "$1" in
prepare)
  W=$2
  command -v sshd >/dev/null || { echo "net-files-login: needs sshd (apt-get install openssh-server)" >&2; exit 1; }
  id ptlogin >/dev/null 2>&1 || useradd -u 4242 -m -s /bin/bash ptlogin
  [[ $(id -u ptlogin) == 4242 ]] || { echo "net-files-login: user ptlogin must have uid 4242 (the marker)" >&2; exit 1; }
  rm -rf "$WATCHED" && mkdir -m 1777 "$WATCHED"
  mkdir -p /run/sshd
  ssh-keygen -q -t ed25519 -N '' -f "$W/host_key"
  ssh-keygen -q -t ed25519 -N '' -f "$W/client_key"
  install -d -m 700 -o ptlogin -g ptlogin ~ptlogin/.ssh
  install -m 600 -o ptlogin -g ptlogin "$W/client_key.pub" ~ptlogin/.ssh/authorized_keys
  free_port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
  free_port >"$W/ssh.port"
  free_port >"$W/http.port"
  cat >"$W/sshd_config" <<CONF
Port $(cat "$W/ssh.port")
ListenAddress 127.0.0.1
HostKey $W/host_key
PidFile none
UsePAM yes
PermitRootLogin no
PasswordAuthentication no
KbdInteractiveAuthentication no
PrintMotd no
CONF
  ;;
run)
  W=$2
  HTTP_PORT=$(cat "$W/http.port")
  SSH_PORT=$(cat "$W/ssh.port")
  python3 -c 'import http.server, sys
http.server.HTTPServer(("127.0.0.1", int(sys.argv[1])), http.server.SimpleHTTPRequestHandler).serve_forever()' "$HTTP_PORT" >/dev/null 2>&1 &
  HTTP_PID=$!
  /usr/sbin/sshd -D -f "$W/sshd_config" &
  SSHD_PID=$!
  # Wait until both listen (read from /proc/net/tcp: probing with a connect would log one).
  listening() { grep -q "^ *[0-9]*: 0100007F:$(printf %04X "$1") 00000000:0000 0A" /proc/net/tcp; }
  for _ in $(seq 200); do listening "$HTTP_PORT" && listening "$SSH_PORT" && break; sleep 0.05; done
  curl -s "http://127.0.0.1:$HTTP_PORT/" >"$WATCHED/curl.html"
  bash -c 'exec 3<>/dev/tcp/127.0.0.1/$0; printf "GET / HTTP/1.0\r\n\r\n" >&3; cat <&3 >/dev/null' "$HTTP_PORT"
  python3 -c 'import socket, sys; socket.create_connection(("127.0.0.1", int(sys.argv[1]))).close()' "$HTTP_PORT"
  sh -c 'echo "written by sh" >'"$WATCHED"'/sh.txt'
  (printf '%s\n' "curl -s http://127.0.0.1:$HTTP_PORT/ >$WATCHED/login.html; echo from-login >$WATCHED/login.txt; exit"; sleep 2) |
    script -qec 'login -f ptlogin' /dev/null >/dev/null
  ssh -i "$W/client_key" -p "$SSH_PORT" -o BatchMode=yes -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o LogLevel=ERROR \
    ptlogin@127.0.0.1 "curl -s http://127.0.0.1:$HTTP_PORT/ >$WATCHED/ssh.html; echo from-ssh >$WATCHED/ssh.txt"
  su ptlogin -c "echo from-su >$WATCHED/su.txt"
  runuser -u ptlogin -- sh -c "echo from-runuser >$WATCHED/runuser.txt"
  sleep 0.3
  kill "$HTTP_PID" "$SSHD_PID"
  wait
  ;;
*) echo "usage: $0 prepare|run DIR" >&2; exit 2 ;;
esac
