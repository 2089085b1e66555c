#!/usr/bin/env bash
# Benchmarks, as ratios measured side by side in one run (this machine is shared; absolute times drift).
#
#   Scripts/bench.sh [--quick] [--keep]
#
# Builds in release mode and runs the helpline-bench target, which prints one `name: value` line
# each: route_calls_per_s, raw_sqlite_txn_per_s, route_vs_raw_ratio, history_flatness_ratio,
# report_1m_seconds, report_vs_sqlite3_ratio, report_peak_rss_mb, cli_route_vs_sqlite3_ratio,
# concurrent_busy_errors and concurrent_p99_ms. --quick uses fewer repetitions (under 10 minutes
# on 2 cores). --keep keeps the databases. Budgets: docs/performance.md.
set -euo pipefail
cd "$(dirname "$0")/.."
Scripts/install-deps.sh >/dev/null
# Release builds as the CLI is installed: the Swift runtime linked statically, the executable not
# position-independent and exporting no symbols, so a one-shot process spends less of its life
# loading, relocating and (in the runtime's start-up) searching its symbol table. One build folder
# for both products.
build=(swift build -c release --static-swift-stdlib --scratch-path .build-static -Xswiftc -Xclang-linker -Xswiftc -no-pie -Xlinker --no-export-dynamic)
"${build[@]}" --product helpline >/dev/null
"${build[@]}" --product helpline-bench >/dev/null
bin=$("${build[@]}" --show-bin-path)
cli="$bin/helpline"
args=()
for a in "$@"; do
  case "$a" in
    --quick|--keep) args+=("$a") ;;
    *) echo "usage: Scripts/bench.sh [--quick] [--keep]" >&2; exit 64 ;;
  esac
done
exec "$bin/helpline-bench" --helpline "$cli" "${args[@]}"
