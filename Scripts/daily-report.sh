#!/usr/bin/env bash
# Writes yesterday's daily report to OUTDIR as helpline-YYYY-MM-DD.html and helpline-YYYY-MM-DD.json.
#
#   Scripts/daily-report.sh [OUTDIR]          (default OUTDIR: ./reports)
#
# For cron, e.g.:  5 0 * * * HELPLINE_DB=/var/lib/helpline/helpline.sqlite HELPLINE_TZ=America/New_York /opt/helpline/Scripts/daily-report.sh /var/reports
#
# "Yesterday" is the day before today in the report zone ($HELPLINE_TZ, else the machine's zone).
# Idempotent: a rerun replaces both files. Each file is written atomically (temporary file, then
# rename). Any failure prints a message on stderr and exits non-zero, and leaves no partial file.
# The helpline binary is $HELPLINE_BIN, else `helpline` on PATH, else this checkout's release or
# debug build.
set -euo pipefail

fail() { echo "daily-report: $*" >&2; exit 1; }

outdir=${1:-reports}
here=$(cd "$(dirname "$0")/.." && pwd)
hl=${HELPLINE_BIN:-}
if [ -z "$hl" ]; then
  if command -v helpline >/dev/null 2>&1; then hl=$(command -v helpline)
  elif [ -x "$here/.build/release/helpline" ]; then hl="$here/.build/release/helpline"
  elif [ -x "$here/.build/debug/helpline" ]; then hl="$here/.build/debug/helpline"
  else fail "no helpline binary: set HELPLINE_BIN, put helpline on PATH, or run 'swift build -c release'"; fi
fi
[ -x "$hl" ] || fail "$hl is not executable"
mkdir -p "$outdir" || fail "cannot create $outdir"
[ -w "$outdir" ] || fail "$outdir is not writable"

tmp=$(mktemp "$outdir/.daily-report.XXXXXX") || fail "cannot write in $outdir"
trap 'rm -f "$tmp"' EXIT

# The JSON first: it names the day the binary resolved, in the report zone.
if ! "$hl" report daily --date yesterday --format json --out "$tmp"; then
  fail "the JSON report failed (see the error above)"
fi
day=$(sed -n 's/^ *"date" *: *"\([0-9-]*\)".*/\1/p' "$tmp" | head -n 1)
[ -n "$day" ] || fail "the JSON report has no date"
if ! "$hl" report daily --date "$day" --format html --out "$outdir/helpline-$day.html"; then
  fail "the HTML report for $day failed (see the error above)"
fi
chmod 0644 "$tmp"
mv -f "$tmp" "$outdir/helpline-$day.json" || fail "cannot move the JSON report into $outdir"
trap - EXIT
echo "daily-report: wrote $outdir/helpline-$day.html and $outdir/helpline-$day.json"
