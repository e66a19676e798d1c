#!/usr/bin/env bash
# Serve the API for local development with a webhook worker beside it.
#
# Ctrl-C (SIGINT to the whole group), or SIGTERM/SIGHUP to this script, stops both processes,
# and the script returns only once both are gone (SIGKILL after 10 s, which the worker survives
# safely: its claims come back when their lease expires). If one of the two exits on its own,
# the other is stopped too. Even a `kill -9` of this script leaves nothing behind: each child
# gets SIGTERM when the script dies (setpriv --pdeathsig, util-linux).
#
# The children run in sessions of their own (setsid), so a Ctrl-C reaches this script alone and
# its trap stops them. Were they in the terminal's group, the worker would catch the SIGINT and
# exit 0 first, and bash, seeing a child that handled the interrupt itself, would sometimes skip
# the trap and end the session with status 0 instead of 130.
set -euo pipefail
PORT="${1:-8000}"
PY=.venv/bin/python
guard=()
if command -v setsid >/dev/null; then
  guard=(setsid)
fi
if setpriv --help 2>/dev/null | grep -q -- --pdeathsig; then
  guard+=(setpriv --pdeathsig TERM --)
fi

pids=()
stop() {
  trap - INT TERM HUP EXIT
  kill -TERM "${pids[@]}" 2>/dev/null || true
  local deadline=$((SECONDS + 10))
  while ((SECONDS < deadline)); do
    alive=0
    for pid in "${pids[@]}"; do kill -0 "$pid" 2>/dev/null && alive=1; done
    [[ $alive == 0 ]] && break
    sleep 0.1
  done
  kill -KILL "${pids[@]}" 2>/dev/null || true
  wait "${pids[@]}" 2>/dev/null || true
}
trap 'stop; exit 130' INT
trap 'stop; exit 143' TERM HUP
trap stop EXIT

"${guard[@]}" "$PY" manage.py run_worker &
pids+=($!)
echo "webhook worker running (pid ${pids[0]})"
"${guard[@]}" "$PY" manage.py runserver "127.0.0.1:${PORT}" --noreload &
pids+=($!)
wait -n "${pids[@]}" || true  # the first to end (or a signal) ends the session
