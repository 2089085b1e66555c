#!/usr/bin/env bash
# Benchmarks, as ratios measured side by side in one run (this machine is shared; absolute times drift).
#
#   Scripts/bench.sh [--quick] [--keep]
#
# Builds in release mode and runs the helpline-bench target, which prints one `name: value` line
# each: route_calls_per_s, raw_sqlite_txn_per_s, route_vs_raw_ratio, history_flatness_ratio,
# report_1m_seconds, report_vs_sqlite3_ratio, report_peak_rss_mb, cli_route_vs_sqlite3_ratio,
# concurrent_busy_errors, concurrent_p99_ms, and `helpline serve` under wrk: serve_routes_per_s,
# serve_route_p99_ms, serve_2xx_share, serve_library_routes_per_s, serve_library_call_cycles_per_s
# (route, answered and ended per call), serve_vs_library_ratio,
# serve_healthz_p99_ms_under_lock, and an open-loop load (a fixed rate over 200 connections):
# serve_open_1000_per_s_p99_ms, serve_open_2000_per_s_p99_ms, serve_open_3000_per_s_p99_ms.
# --quick uses fewer repetitions (under 10 minutes on 2 cores). --keep keeps the databases. Budgets: docs/performance.md.
set -euo pipefail
cd "$(dirname "$0")/.."
args=()
for a in "$@"; do
  case "$a" in
    --quick|--keep) args+=("$a") ;;
    -h|--help) sed -n '2,14p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "usage: Scripts/bench.sh [--quick] [--keep]" >&2; exit 64 ;;
  esac
done
Scripts/install-deps.sh wrk >/dev/null   # wrk: the HTTP load generator for the serve measurements
# Release builds as the CLI is installed (see Scripts/build-release.sh), both products in one folder.
log=$(mktemp)
trap 'rm -f "$log"' EXIT
bin=$(Scripts/build-release.sh helpline helpline-bench 2>"$log") || { cat "$log" >&2; exit 1; }
cli="$bin/helpline"
"$bin/helpline-bench" --helpline "$cli" "${args[@]}"
