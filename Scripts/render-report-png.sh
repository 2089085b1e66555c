#!/usr/bin/env bash
# Renders a daily HTML report to a PNG with headless Chromium, to check what a manager sees.
#
#   Scripts/render-report-png.sh REPORT.html OUT.png [WIDTH]
#
# Installs Debian's chromium when it is missing. The report is self-contained (inline CSS and
# SVG, no script), so the render needs no network.
set -euo pipefail
case "${1:-}" in
  -h|--help) echo "usage: Scripts/render-report-png.sh REPORT.html OUT.png [WIDTH]   renders with headless Chromium"; exit 0 ;;
  -*) echo "render-report-png: unknown option $1 (see --help)" >&2; exit 64 ;;
esac
html=${1:?usage: render-report-png.sh REPORT.html OUT.png [WIDTH]}
png=${2:?usage: render-report-png.sh REPORT.html OUT.png [WIDTH]}
width=${3:-1024}
browser=$(command -v chromium || command -v chromium-browser || true)
if [ -z "$browser" ]; then
  "$(dirname "$0")/install-deps.sh" chromium fonts-dejavu-core
  browser=$(command -v chromium)
fi
abs=$(cd "$(dirname "$html")" && pwd)/$(basename "$html")
"$browser" --headless --no-sandbox --disable-gpu --hide-scrollbars --window-size="$width,1500" \
  --screenshot="$png" "file://$abs" >/dev/null 2>&1
[ -s "$png" ] || { echo "render-report-png: no picture was written" >&2; exit 1; }
echo "render-report-png: wrote $png"
