#!/usr/bin/env bash
# Writes yesterday's daily report to OUTDIR as helpline-YYYY-MM-DD.html and helpline-YYYY-MM-DD.json.
#
#   daily-report.sh [OUTDIR]          (default OUTDIR: ./reports)
#
# For cron, as Scripts/install.sh installs it:
#   5 0 * * * HELPLINE_DB=/var/lib/helpline/helpline.sqlite /opt/helpline/bin/daily-report.sh /var/lib/helpline/reports
#
# "Yesterday" is the day before today in the report zone: $HELPLINE_TZ, else the zone stored in the
# database (helpline init --tz, helpline settings --tz), else the machine's zone.
# Idempotent: a rerun replaces both files. Each file is written atomically (temporary file, then
# rename). Any failure prints a message on stderr and exits non-zero, and leaves no partial file.
# The helpline binary is $HELPLINE_BIN, else the `helpline` beside this script (an installed
# layout), else `helpline` on PATH, else this checkout's release or debug build.
set -euo pipefail

fail() { echo "daily-report: $*" >&2; exit "${code:-1}"; }

case "${1:-}" in
  -h|--help) sed -n '2,16p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
  -*) echo "daily-report: unknown option $1 (see --help)" >&2; exit 64 ;;
esac
[ $# -le 1 ] || { echo "daily-report: one OUTDIR at most (see --help)" >&2; exit 64; }
outdir=${1:-reports}
beside=$(cd "$(dirname "$0")" && pwd)
here=$(cd "$beside/.." && pwd)
hl=${HELPLINE_BIN:-}
if [ -z "$hl" ]; then
  if [ -x "$beside/helpline" ]; then hl="$beside/helpline"
  elif command -v helpline >/dev/null 2>&1; then hl=$(command -v helpline)
  elif [ -x "$here/.build-static/release/helpline" ]; then hl="$here/.build-static/release/helpline"
  elif [ -x "$here/.build/release/helpline" ]; then hl="$here/.build/release/helpline"
  elif [ -x "$here/.build/debug/helpline" ]; then hl="$here/.build/debug/helpline"
  else fail "no helpline binary: install with Scripts/install.sh, set HELPLINE_BIN, or build with Scripts/build-release.sh"; fi
fi
[ -x "$hl" ] || fail "$hl is not executable"
mkdir -p "$outdir" || fail "cannot create $outdir"
[ -w "$outdir" ] || fail "$outdir is not writable"

tmp=$(mktemp "$outdir/.daily-report.XXXXXX") || fail "cannot write in $outdir"
trap 'rm -f "$tmp"' EXIT

# The JSON first: it names the day the binary resolved, in the report zone.
# helpline's own exit code is kept (74: no database there, 69: busy), so cron's mail says which.
"$hl" report daily --date yesterday --format json --out "$tmp" || { code=$?; fail "the JSON report failed (see the error above)"; }
day=$(sed -n 's/^ *"date" *: *"\([0-9-]*\)".*/\1/p' "$tmp" | head -n 1)
[ -n "$day" ] || fail "the JSON report has no date"
"$hl" report daily --date "$day" --format html --out "$outdir/helpline-$day.html" || {
  code=$?
  fail "the HTML report for $day failed (see the error above)"
}
chmod 0644 "$tmp"
mv -f "$tmp" "$outdir/helpline-$day.json" || fail "cannot move the JSON report into $outdir"
trap - EXIT
echo "daily-report: wrote $outdir/helpline-$day.html and $outdir/helpline-$day.json"
