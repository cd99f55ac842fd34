#!/usr/bin/env bash
# Test oracle: torchaudio 2.8's own pure-Python code, unpacked outside site-packages so that nothing
# imports it by accident (tests put it on sys.path through tests/_oracle.py). Its compiled libraries
# are removed: they are built for torch 2.8 and the Python fallbacks are what we compare against.
set -euo pipefail
dest=${1:?usage: install_oracle.sh DEST PYTHON}
py=${2:-python3}
[ -f "$dest/torchaudio/__init__.py" ] && exit 0
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
"$py" -m pip download -q --no-deps "torchaudio==2.8.0" -d "$tmp"
mkdir -p "$tmp/site"
"$py" -m zipfile -e "$tmp"/torchaudio-2.8.0-*.whl "$tmp/site"
find "$tmp/site" -name '*.so' -delete
rm -rf "$dest" && mkdir -p "$(dirname "$dest")"
mv "$tmp/site" "$dest"
