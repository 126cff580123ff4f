#!/usr/bin/env bash
# The sha256 of the example built in every profile at a fixed date: a refactoring that only
# moves code must leave all four unchanged (compare the output before and after).
set -euo pipefail
out=${1:-build/fingerprint}
mkdir -p "$out"
export SOURCE_DATE_EPOCH=${SOURCE_DATE_EPOCH:-1700000000}
py=${PYTHON:-.venv/bin/python}
for p in standard print email archive; do
  PYTHONPATH=src "$py" -m dossier build content --profile "$p" -o "$out/$p.pdf" >/dev/null
done
(cd "$out" && sha256sum standard.pdf print.pdf email.pdf archive.pdf)
