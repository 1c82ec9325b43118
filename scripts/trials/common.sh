# shellcheck shell=bash
# Shared by scripts/try-superset and scripts/try-airflow (sourced, not run).
# The caller sets NAME (for log lines), ROOT (the clone), SRC, VENV, STATE,
# HOST and EMU_PORT before calling these.

log() { echo "[$NAME] $*" >&2; }
die() { log "$*"; exit 1; }

export PIP_DISABLE_PIP_VERSION_CHECK=1

pick_python() {
  if [ -n "${PYTHON:-}" ]; then echo "$PYTHON"; return; fi
  local p
  for p in python3.11 python3; do
    if command -v "$p" >/dev/null 2>&1; then echo "$p"; return; fi
  done
  die "no python3 found (set PYTHON)"
}

# The venv, created with Debian's python3-venv (installed when missing).
make_venv() {
  [ -x "$VENV/bin/python" ] && return
  local py; py="$(pick_python)"
  log "creating venv $VENV with $py"
  if ! "$py" -m venv "$VENV" 2>/dev/null; then
    rm -rf "$VENV"
    [ "$(id -u)" -eq 0 ] || die "$py has no venv module: apt-get install python3-venv"
    log "installing Debian's python3-venv"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends python3-venv >/dev/null
    "$py" -m venv "$VENV"
  fi
  "$VENV/bin/pip" install -q --upgrade pip setuptools wheel
}

# pip install, its output kept in $STATE/pip.log and shown on failure.
pip_install() {
  mkdir -p "$STATE"
  log "pip install $*"
  if ! "$VENV/bin/pip" install "$@" >>"$STATE/pip.log" 2>&1; then
    tail -40 "$STATE/pip.log" >&2
    die "pip install failed (full log: $STATE/pip.log)"
  fi
}

# This package, editable from $SRC, with its dependencies (again only when
# the venv has it from another folder). Sets SRC_REAL. (-I: not the copy in
# the current directory.)
install_self() {
  SRC_REAL="$(cd "$SRC" && pwd -P)"
  local have
  have="$("$VENV/bin/python" -I -c 'import os, flask_oauth_recover as m; print(os.path.dirname(os.path.dirname(os.path.realpath(m.__file__))))' 2>/dev/null || true)"
  [ "$have" = "$SRC_REAL" ] || pip_install -e "$SRC_REAL"
}

pid_alive() { [ -s "$1" ] && kill -0 "$(cat "$1")" 2>/dev/null; }

# Stops the process group a pidfile names (each server runs under setsid).
stop_pidfile() {
  local f="$1" pid
  if pid_alive "$f"; then
    pid="$(cat "$f")"
    kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
    kill -KILL -- "-$pid" 2>/dev/null || true
  fi
  rm -f "$f"
}

wait_http() {  # url seconds
  local _
  for _ in $(seq "$2"); do
    "$VENV/bin/python" -c 'import sys, requests; sys.exit(requests.get(sys.argv[1], timeout=3).status_code >= 500)' "$1" 2>/dev/null && return 0
    sleep 1
  done
  return 1
}

# The provider emulator on $HOST:$EMU_PORT, its callback registered as $1.
start_emulator() {
  local callback="$1"
  if pid_alive "$STATE/emulator.pid"; then
    [ "$(cat "$STATE/emulator.mode" 2>/dev/null)" = "$callback" ] && return
    stop_pidfile "$STATE/emulator.pid"
  fi
  rm -f "$STATE/emulator.json"
  log "starting the provider emulator on $HOST:$EMU_PORT (callback $callback)"
  setsid "$VENV/bin/python" "$ROOT/scripts/trials/emulator.py" --port "$EMU_PORT" \
    --callback-url "$callback" --json "$STATE/emulator.json" \
    >"$STATE/emulator.log" 2>&1 </dev/null &
  echo $! >"$STATE/emulator.pid"
  echo "$callback" >"$STATE/emulator.mode"
  for _ in $(seq 100); do [ -s "$STATE/emulator.json" ] && return; sleep 0.2; done
  cat "$STATE/emulator.log" >&2
  stop_pidfile "$STATE/emulator.pid"
  die "the emulator did not start"
}

new_secret() {  # file
  [ -s "$1" ] || "$VENV/bin/python" -c 'import secrets; print(secrets.token_urlsafe(42))' >"$1"
}
