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
all=.build/symbol-graphs-all
graphs=.build/symbol-graphs
rm -rf "$all" "$graphs" && mkdir -p "$all" "$graphs"
swift build --target HelplineRouting -Xswiftc -emit-symbol-graph -Xswiftc -emit-symbol-graph-dir -Xswiftc "$PWD/$all" >/dev/null
# Only the library's own symbols: its dependencies document themselves.
cp "$all"/HelplineRouting*.symbols.json "$graphs"/
docc=$(command -v docc || echo "$(dirname "$(command -v swift)")/docc")
"$docc" convert Sources/HelplineRouting/HelplineRouting.docc --additional-symbol-graph-dir "$graphs" \
  --fallback-display-name HelplineRouting --fallback-bundle-identifier org.helpline.HelplineRouting \
  --output-path "$out" --warnings-as-errors
echo "build-docs: $out"
