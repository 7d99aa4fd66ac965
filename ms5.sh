#!/usr/bin/env bash
# MS5.0 Floor Dashboard: the two set-up commands.
#   ./ms5.sh run    install what is missing, migrate, seed the demo plant once, serve it on 127.0.0.1:8000
#   ./ms5.sh test   install what is missing, run the whole test suite on SQLite, then on PostgreSQL
set -euo pipefail
cd "$(dirname "$0")"
ROOT=$(pwd)
PY=${MS5_PYTHON:-python3}
VENV="$ROOT/.venv"

say() { printf '\033[1m==> %s\033[0m\n' "$*"; }
die() { printf 'ms5: %s\n' "$*" >&2; exit 1; }

ensure_venv() {  # $1 = requirements file
  local req="$1" stamp="$VENV/.installed-$(basename "$1")"
  command -v "$PY" >/dev/null || die "$PY not found; install Python 3.11 or newer (MS5_PYTHON=... to choose)."
  "$PY" -c 'import sys; sys.exit(sys.version_info < (3, 11))' || die "Python 3.11 or newer is needed."
  if [ ! -x "$VENV/bin/python" ]; then
    say "creating $VENV"
    "$PY" -m venv "$VENV"
  fi
  if [ ! -f "$stamp" ] || [ "$req" -nt "$stamp" ] || [ requirements/base.txt -nt "$stamp" ]; then
    say "installing $req"
    "$VENV/bin/python" -m pip install --disable-pip-version-check -q -r "$req"
    touch "$stamp"
  fi
}

ensure_debian_packages() {  # chromium for browser tests, poppler-utils for PDF checks
  local missing=()
  [ -x /usr/bin/chromium ] || missing+=(chromium)
  command -v pdftotext >/dev/null || missing+=(poppler-utils)
  [ ${#missing[@]} -eq 0 ] && return 0
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    say "installing Debian packages: ${missing[*]}"
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
  else
    die "missing Debian packages: ${missing[*]} (run: sudo apt-get install ${missing[*]})"
  fi
}

cmd=${1:-}
shift || true
case "$cmd" in
  run)
    ensure_venv requirements/base.txt
    export MS5_VAR_DIR=${MS5_VAR_DIR:-$ROOT/var}
    "$VENV/bin/python" manage.py migrate --noinput
    "$VENV/bin/python" manage.py setup_periodic_tasks
    "$VENV/bin/python" manage.py seed_demo --if-empty
    exec "$VENV/bin/python" manage.py run_plant --host "${MS5_HOST:-127.0.0.1}" --port "${MS5_PORT:-8000}" "$@"
    ;;
  test)
    ensure_venv requirements/dev.txt
    ensure_debian_packages
    exec "$VENV/bin/python" -m tests.runner "$@"
    ;;
  *)
    echo "usage: ./ms5.sh run | ./ms5.sh test [pytest args]" >&2
    exit 2
    ;;
esac
