#!/usr/bin/env bash
# Check, and where possible install, what dossier needs from the system:
# fontconfig and the Noto fonts (Latin, Cyrillic, Japanese), HarfBuzz's subsetter
# (without it WeasyPrint falls back to fontTools: a CJK build is ~3x slower), Pango,
# poppler-utils and qpdf (tests, previews) and Debian's pandoc (the reference
# the citation tests compare with). Installs with apt-get when it can;
# `--check` only reports what is missing (exit status 1) and installs nothing.
set -euo pipefail

missing=()
need() { # need PACKAGE TEST...
  local pkg=$1; shift
  if ! "$@" >/dev/null 2>&1; then missing+=("$pkg"); fi
}
# No `cmd | grep -q` here: under pipefail, grep -q exiting at its first match
# makes the writer die of SIGPIPE, and the check fails at random (seen in CI).
has_family() { [ -n "$(fc-list ":family=$1" family)" ]; }
has_lib() {
  local cache
  cache=$(PATH="$PATH:/sbin:/usr/sbin" ldconfig -p) || return 1
  [[ $cache == *"$1"* ]]
}

need fontconfig command -v fc-list
if command -v fc-list >/dev/null 2>&1; then
  need fonts-noto-core has_family "Noto Serif"
  need fonts-noto-core has_family "Noto Sans"
  need fonts-noto-cjk has_family "Noto Serif CJK JP"
  need fonts-noto-cjk has_family "Noto Sans CJK JP"
else
  missing+=(fonts-noto-core fonts-noto-cjk)
fi
need libpango-1.0-0 has_lib libpango-1.0.so.0
need libpangoft2-1.0-0 has_lib libpangoft2-1.0.so.0
need libharfbuzz-subset0 has_lib libharfbuzz-subset.so.0
need poppler-utils command -v pdftotext
need qpdf command -v qpdf
need pandoc command -v pandoc

if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi
# shellcheck disable=SC2207
missing=($(printf '%s\n' "${missing[@]}" | sort -u))
case "${1:-}" in
  --verify) echo "error: still missing after installing: ${missing[*]}" >&2; exit 1 ;;
  --check) echo "missing system packages: ${missing[*]}" >&2; exit 1 ;;
esac
echo "dossier needs these system packages: ${missing[*]}" >&2
if command -v apt-get >/dev/null 2>&1; then
  SUDO=""
  if [ "$(id -u)" -ne 0 ]; then
    if command -v sudo >/dev/null 2>&1; then SUDO="sudo"; else
      echo "error: not root and no sudo: run 'apt-get install ${missing[*]}' as root, then 'make' again" >&2
      exit 1
    fi
  fi
  echo "installing them with apt-get ..." >&2
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
  fc-cache -f >/dev/null 2>&1 || true
  exec "$0" --verify
fi
echo "error: no apt-get here: install the equivalents of ${missing[*]} (Noto Serif/Sans, Noto Serif/Sans CJK JP, HarfBuzz subset library, Pango, poppler-utils, qpdf, pandoc) with your package manager, then run 'make' again" >&2
exit 1
