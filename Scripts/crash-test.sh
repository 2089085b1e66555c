#!/usr/bin/env bash
# Crash safety: route calls in a loop, through the CLI and through the library, and SIGKILL the
# process at random moments, KILLS times. Every call id is printed only after it committed.
# Afterwards every printed id must be in the database, and `helpline doctor` must be clean:
# integrity_check ok, the consent chain verifies, the live counters equal a recount, every
# routable call has a consent record and a decision.
#
#   Scripts/crash-test.sh [KILLS] [MAX_DELAY_TENTHS]     (defaults: 60 kills, up to 0.9 s apart)
set -euo pipefail
case "${1:-}" in
  -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d' | sed 's/^# \{0,1\}//'; exit 0 ;;
  -*) echo "crash-test: unknown option $1 (see --help)" >&2; exit 64 ;;
esac
set -m  # each background loop gets its own process group, so one kill stops the loop and its child
cd "$(dirname "$0")/.."
kills=${1:-60}
max_delay=${2:-9}
swift build --product helpline >/dev/null
swift build --product helpline-bench >/dev/null
bin=$(swift build --show-bin-path)
hl="$bin/helpline"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
db="$work/crash.sqlite"
printed="$work/printed.txt"
: > "$printed"

"$hl" init --db "$db" >/dev/null
"$hl" provider add --db "$db" --name "Capped" --phone 3035550101 --hourly-cap 100000 --daily-cap 100000 --concurrency 1000 >/dev/null
"$hl" provider add --db "$db" --name "Weighted" --phone 3035550102 --weight 3 >/dev/null
"$hl" provider add --db "$db" --name "Listed" --phone 3035550103 >/dev/null
"$hl" number add --db "$db" --number 8009151270 >/dev/null
"$hl" listing add --db "$db" --name "Center" --number 8885550199 --provider 3 >/dev/null
printf 'Terms\n' > "$work/terms.txt"
"$hl" terms publish --db "$db" --file "$work/terms.txt" >/dev/null

cli_loop() {
  local n=0
  while true; do
    n=$((n + 1))
    local to=8009151270
    [ $((n % 5)) = 0 ] && to=8885550199
    local id
    id=$("$hl" route --db "$db" --to "$to" --from "303555$(printf %04d $((RANDOM % 10000)))" --json 2>/dev/null \
      | sed -n 's/.*"call_id" *: *"\([0-9]*\)".*/\1/p') || true
    [ -n "$id" ] && echo "$id" >> "$printed"
  done
}

for i in $(seq 1 "$kills"); do
  if [ $((i % 2)) = 1 ]; then
    cli_loop &
  else
    "$bin/helpline-bench" route-loop "$db" >> "$printed" &
  fi
  pid=$!
  sleep "0.$((RANDOM % max_delay + 1))"
  kill -9 -- "-$pid" 2>/dev/null || kill -9 "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
done

ids=$(sort -un "$printed" | grep -c . || true)
missing=$(sort -un "$printed" | awk 'BEGIN { printf "WITH p(id) AS (VALUES (0)" } { printf ",(%s)", $1 } END { print ") SELECT count(*) FROM p WHERE id != 0 AND id NOT IN (SELECT id FROM calls);" }' \
  | sqlite3 "$db")
calls=$(sqlite3 "$db" "SELECT count(*) FROM calls")
echo "crash-test: $kills kills; $ids call ids printed after commit; $calls calls in the database; $missing printed ids missing"
if ! "$hl" doctor --db "$db"; then
  echo "crash-test: FAILED: doctor is not clean" >&2
  exit 1
fi
if [ "$missing" != 0 ] || [ "$ids" = 0 ]; then
  echo "crash-test: FAILED: $missing printed ids are missing (or nothing was routed)" >&2
  exit 1
fi
echo "crash-test: passed"
