#!/usr/bin/env bash
# Installs helpline for production under PREFIX (default /opt/helpline), and prints the crontab line.
#
#   Scripts/install.sh [--prefix DIR] [--db PATH] [--reports DIR] [--binary PATH]
#
#   PREFIX/bin/helpline                  the release build (Scripts/build-release.sh): needs only glibc
#   PREFIX/bin/daily-report.sh           what cron runs; it finds the helpline binary beside itself
#   PREFIX/share/doc/helpline/help/      every command's help, as text
#   PREFIX/share/bash-completion/completions/helpline, share/zsh/site-functions/_helpline,
#   PREFIX/share/fish/vendor_completions.d/helpline.fish   shell completions
#
# Creates the folders, replaces what an earlier run installed (it is idempotent), and changes no
# database. --db and --reports only shape the crontab line it prints (defaults:
# /var/lib/helpline/helpline.sqlite and /var/lib/helpline/reports). --binary installs a helpline
# already built instead of building the release (tests use it).
set -euo pipefail
usage() { sed -n '2,17p' "$0" | sed 's/^# \{0,1\}//'; }
prefix=/opt/helpline
db=/var/lib/helpline/helpline.sqlite
reports=/var/lib/helpline/reports
binary=
while [ $# -gt 0 ]; do
  case "$1" in
    -h|--help) usage; exit 0 ;;
    --prefix) [ $# -ge 2 ] || { echo "install: --prefix needs a folder" >&2; exit 64; }; prefix=$2; shift 2 ;;
    --prefix=*) prefix=${1#--prefix=}; shift ;;
    --db) [ $# -ge 2 ] || { echo "install: --db needs a path" >&2; exit 64; }; db=$2; shift 2 ;;
    --db=*) db=${1#--db=}; shift ;;
    --reports) [ $# -ge 2 ] || { echo "install: --reports needs a folder" >&2; exit 64; }; reports=$2; shift 2 ;;
    --reports=*) reports=${1#--reports=}; shift ;;
    --binary) [ $# -ge 2 ] || { echo "install: --binary needs a path" >&2; exit 64; }; binary=$2; shift 2 ;;
    *) echo "install: unknown argument $1 (see --help)" >&2; exit 64 ;;
  esac
done
case "$prefix" in /*) ;; *) prefix=$PWD/$prefix ;; esac
cd "$(dirname "$0")/.."
if [ -z "$binary" ]; then
  Scripts/install-deps.sh >/dev/null
  binary="$(Scripts/build-release.sh helpline)/helpline"
fi
[ -x "$binary" ] || { echo "install: $binary is not an executable" >&2; exit 66; }
mkdir -p "$prefix/bin" "$prefix/share/doc/helpline/help" "$prefix/share/bash-completion/completions" \
  "$prefix/share/zsh/site-functions" "$prefix/share/fish/vendor_completions.d"
install -m 0755 "$binary" "$prefix/bin/helpline"
install -m 0755 Scripts/daily-report.sh "$prefix/bin/daily-report.sh"
hl="$prefix/bin/helpline"
"$hl" --generate-completion-script bash >"$prefix/share/bash-completion/completions/helpline"
"$hl" --generate-completion-script zsh >"$prefix/share/zsh/site-functions/_helpline"
"$hl" --generate-completion-script fish >"$prefix/share/fish/vendor_completions.d/helpline.fish"
# Every command's help, as the operator sees it: the commands and their subcommands.
help="$prefix/share/doc/helpline/help"
rm -f "$help"/*.txt
COLUMNS=100 "$hl" --help >"$help/helpline.txt"
for group in $("$hl" --help | sed -n '/^SUBCOMMANDS:/,/^$/p' | awk 'NR > 1 && NF { print $1 }'); do
  COLUMNS=100 "$hl" help "$group" >"$help/helpline-$group.txt"
  for sub in $("$hl" help "$group" | sed -n '/^SUBCOMMANDS:/,/^$/p' | awk 'NR > 1 && NF { print $1 }'); do
    COLUMNS=100 "$hl" help "$group" "$sub" >"$help/helpline-$group-$sub.txt"
  done
done
echo "install: $hl ($("$hl" --version)), daily-report.sh, completions and $(ls "$help" | wc -l) help pages under $prefix"
echo "install: create the database once:  $hl init --db $db --tz America/New_York"
echo "install: crontab line (crontab -e), the nightly report for yesterday:"
echo "5 0 * * * HELPLINE_DB=$db $prefix/bin/daily-report.sh $reports"
