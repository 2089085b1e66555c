#!/usr/bin/env bash
# The long fuzz run: the same properties as `swift test`'s bounded fuzz suite, with more inputs.
# 14 property checks over the parsers and the router run COUNT inputs each, and CLI_COUNT
# adversarial command lines run against the built binary.
#
#   Scripts/fuzz.sh [COUNT] [CLI_COUNT]      (defaults: 8000 and 400, about 112,000 inputs)
set -euo pipefail
case "${1:-}" in
  -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d' | sed 's/^# \{0,1\}//'; exit 0 ;;
  -*) echo "fuzz: unknown option $1 (see --help)" >&2; exit 64 ;;
esac
cd "$(dirname "$0")/.."
count=${1:-8000}
cli=${2:-400}
HELPLINE_FUZZ_COUNT=$count HELPLINE_FUZZ_CLI_COUNT=$cli swift test --filter FuzzTests
echo "fuzz: $((14 * count)) parser and router inputs, $cli CLI command lines: no crash"
