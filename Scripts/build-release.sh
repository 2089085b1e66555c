#!/usr/bin/env bash
# The release build of the CLI, as it is installed and as Scripts/bench.sh measures it.
#
#   Scripts/build-release.sh [PRODUCT...]      (default: helpline)
#
# Prints the folder that holds the binaries. Telephony and cron start one `helpline` process per
# event, so the build makes that start cheap: the Swift runtime linked statically, the executable
# not position-independent and exporting no symbols, and SQLite and the C++ runtime linked from
# their static archives when they are installed (libsqlite3-dev, libstdc++-dev), so the loader
# relocates no shared library but libc's. The result needs nothing but glibc at run time.
set -euo pipefail
case "${1:-}" in
  -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d' | sed 's/^# \{0,1\}//'; exit 0 ;;
  -*) echo "build-release: unknown option $1 (see --help)" >&2; exit 64 ;;
esac
cd "$(dirname "$0")/.."
scratch=.build-static
libs="$scratch/static-libs"
mkdir -p "$libs"
flags=(-c release --static-swift-stdlib --scratch-path "$scratch"
  -Xswiftc -Xclang-linker -Xswiftc -no-pie -Xlinker --no-export-dynamic)
# The linker takes lib*.a from this folder before the system's lib*.so: it is searched first.
for lib in libsqlite3.a libstdc++.a; do
  path=$(clang -print-file-name="$lib" 2>/dev/null || true)
  if [ -f "$path" ]; then ln -sf "$path" "$libs/$lib"; else rm -f "$libs/$lib"; fi
done
flags+=(-Xlinker "-L$PWD/$libs")
products=("$@")
[ ${#products[@]} -gt 0 ] || products=(helpline)
for product in "${products[@]}"; do
  swift build "${flags[@]}" --product "$product" >&2
done
swift build "${flags[@]}" --show-bin-path
