#!/usr/bin/env bash
# Builds the library's documentation (DocC) with the toolchain's `docc`, into OUT (default .build/docs).
#
#   Scripts/build-docs.sh [OUT]
set -euo pipefail
case "${1:-}" in
  -h|--help) sed -n '2,4p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
  -*) echo "build-docs: unknown option $1 (see --help)" >&2; exit 64 ;;
esac
cd "$(dirname "$0")/.."
out=${1:-.build/docs}
graphs=.build/symbol-graphs
rm -rf "$graphs" && mkdir -p "$graphs"
# The package's public symbols (every target's); only the library's own are kept: its
# dependencies document themselves.
dump=$(swift package dump-symbol-graph --minimum-access-level public 2>&1 | sed -n 's/^Files written to //p' | tail -n 1)
[ -d "$dump" ] || { echo "build-docs: no symbol graphs were written" >&2; exit 1; }
cp "$dump"/HelplineRouting*.symbols.json "$graphs"/
docc=$(command -v docc || echo "$(dirname "$(command -v swift)")/docc")
"$docc" convert Sources/HelplineRouting/HelplineRouting.docc --additional-symbol-graph-dir "$graphs" \
  --fallback-display-name HelplineRouting --fallback-bundle-identifier org.helpline.HelplineRouting \
  --output-path "$out" --warnings-as-errors
echo "build-docs: $out"
