# A four-stage pipeline and a command substitution under one shell.
bash -c 'seq 1 20000 | (sleep 0.3; cat) | sort -n | tail -1 > /dev/null; x=$(sleep 0.2; echo hi); echo "$x" > /dev/null'
