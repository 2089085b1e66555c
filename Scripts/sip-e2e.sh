#!/usr/bin/env bash
# SIP end to end, with real peers on loopback: `helpline serve`, Kamailio as the SIP proxy
# (telephony/kamailio/kamailio.cfg) and sipp as the callers and three providers' phones
# (telephony/sipp): one answers and hangs up after a hold time, one answers 480, one rings until
# the proxy's timer fires. Some callers hang up while it rings; some dial a listing, one number
# nobody configured. Afterwards the database must show every call once with the outcome sipp saw,
# failovers recorded as decisions, shares that follow the weights, listing calls only to their
# provider, no call left ringing, callbacks for the calls nobody answered, and a clean
# `helpline consent verify` and `helpline doctor`.
#
#   Scripts/sip-e2e.sh [--quick] [--keep]
#
# --quick: 200 calls at 20 a second plus 50 to the phone that never answers (under 3 minutes).
# Without it: 2,000 calls at 50 a second, then the load steps (200 to 1,000 calls a second, 20 s
# each, to a number only the answering phone serves: calls completed, failed and retransmitted,
# the setup-time p99 and each process's CPU, in load.csv), then a drain: SIGTERM to the server during
# 200 calls a second, a restart, and the same checks. Installs its Debian packages when missing.
# Every process it starts runs under `timeout` and is stopped by its PID on every exit path.
set -euo pipefail
quick=0
keep=0
for a in "$@"; do
  case "$a" in
    --quick) quick=1 ;;
    --keep) keep=1 ;;
    -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d' | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "sip-e2e: unknown option $a (see --help)" >&2; exit 64 ;;
  esac
done
cd "$(dirname "$0")/.."
root=$PWD
Scripts/install-deps.sh kamailio kamailio-utils-modules kamailio-extra-modules kamailio-json-modules sip-tester >/dev/null

work=$(mktemp -d)
pids=()
cleanup() {
  local code=$?
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  if [ "$keep" = 1 ] || [ "$code" != 0 ]; then echo "sip-e2e: logs and database in $work" >&2; else rm -rf "$work"; fi
  exit "$code"
}
trap cleanup EXIT
trap 'exit 143' TERM INT  # a signal exits through the EXIT trap, which stops everything started
fail() { echo "sip-e2e: FAILED: $*" >&2; exit 1; }
if [ "$quick" = 1 ]; then
  swift build --product helpline >"$work/build.log" 2>&1 || { cat "$work/build.log" >&2; exit 1; }
  hl="$(swift build --show-bin-path)/helpline"
else
  # The load steps measure the binary as it is installed, not a debug build.
  hl="$(Scripts/build-release.sh helpline 2>"$work/build.log")/helpline" || { cat "$work/build.log" >&2; exit 1; }
fi

# Free loopback ports: the router, the proxy, three phones and two caller sockets.
read -r http_port sip_port p_answers p_busy p_rings c_port h_port < <(python3 - <<'PY'
import socket
socks = []
for kind in [socket.SOCK_STREAM] + [socket.SOCK_DGRAM] * 6:
    s = socket.socket(socket.AF_INET, kind); s.bind(("127.0.0.1", 0)); socks.append(s)
print(" ".join(str(s.getsockname()[1]) for s in socks))
PY
)

export HELPLINE_DB="$work/helpline.sqlite" HELPLINE_TZ=America/New_York
token="sip-e2e-$RANDOM$RANDOM"
"$hl" init >/dev/null
"$hl" provider add --name "Answers" --phone 3035550101 --weight 2 --sip-uri "sip:answers@127.0.0.1:$p_answers" >/dev/null
"$hl" provider add --name "Busy" --phone 3035550102 --sip-uri "sip:busy@127.0.0.1:$p_busy" >/dev/null
"$hl" provider add --name "Rings" --phone 3035550103 --sip-uri "sip:rings@127.0.0.1:$p_rings" >/dev/null
"$hl" number add --number 8009151270 --ring-timeout 2 >/dev/null
"$hl" listing add --name "Answers Center" --number 8885550199 --provider 1 >/dev/null
"$hl" listing add --name "Rings Center" --number 8885550133 --provider 3 --ring-timeout 2 >/dev/null
printf 'Terms of use for the end-to-end run.\n' > "$work/terms.txt"
"$hl" terms publish --file "$work/terms.txt" >/dev/null

limit=600
HELPLINE_API_TOKEN="$token" timeout "$limit" "$hl" serve --listen "127.0.0.1:$http_port" 2>"$work/serve.log" &
pids+=($!)
HELPLINE_HTTPCON="helpline=>http://kamailio:$token@127.0.0.1:$http_port" HELPLINE_LISTEN="udp:127.0.0.1:$sip_port" \
  PSTN_GATEWAY="127.0.0.1:5090" timeout "$limit" kamailio -DD -E -m 512 -f "$root/telephony/kamailio/kamailio.cfg" -Y "$work" \
  >"$work/kamailio.log" 2>&1 &
pids+=($!)
sipp_bg() {  # name, port, scenario, extra arguments...
  local name=$1 port=$2 scenario=$3
  shift 3
  (cd "$work" && exec timeout "$limit" sipp -sf "$root/telephony/sipp/$scenario" -i 127.0.0.1 -p "$port" -nostdin -trace_err \
    -error_file "$work/$name-errors.log" "$@" >"$work/$name.out" 2>&1) &
  pids+=($!)
}
sipp_bg answers "$p_answers" provider-answers.xml -d 500
sipp_bg busy "$p_busy" provider-busy.xml
sipp_bg rings "$p_rings" provider-rings.xml
for _ in $(seq 1 100); do
  grep -q "listening" "$work/serve.log" 2>/dev/null && grep -q "io_listen_loop" "$work/kamailio.log" 2>/dev/null && break
  sleep 0.1
done
grep -q "listening" "$work/serve.log" || fail "helpline serve did not start: $(tail -3 "$work/serve.log")"

if [ "$quick" = 1 ]; then calls=200; rate=20; else calls=2000; rate=50; fi
ringing_calls=30
hangups=20
# Callers: a North American number each (sipp's [call_number] runs past 4 digits, so they come
# from a file), nine in ten to the general number, the rest to the listing, one to a dead number.
python3 - "$work" "$calls" "$ringing_calls" "$hangups" <<'PY'
import sys
work, calls, ringing, hangups = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
def number(n): return "212%03d%04d" % (200 + n // 10000, n % 10000)
with open(f"{work}/callers.csv", "w") as f:
    f.write("SEQUENTIAL\n")
    for n in range(calls):
        dialed = "8005550000" if n == 7 else ("8885550199" if n % 10 == 9 else "8009151270")
        f.write(f"{number(n)};{dialed}\n")
with open(f"{work}/ringing.csv", "w") as f:
    f.write("SEQUENTIAL\n")
    for n in range(ringing): f.write(f"{number(50000 + n)};8885550133\n")
with open(f"{work}/hangups.csv", "w") as f:
    f.write("SEQUENTIAL\n")
    for n in range(hangups): f.write(f"{number(60000 + n)};8885550133\n")
PY
start_callers() {  # name, scenario, csv, count, rate, extra arguments...; sets callers_pid
  local name=$1 scenario=$2 csv=$3 count=$4 callrate=$5
  shift 5
  (cd "$work" && exec timeout "${callers_limit:-300}" sipp "127.0.0.1:$sip_port" -sf "$root/telephony/sipp/$scenario" -inf "$work/$csv" -i 127.0.0.1 -p "$c_port" \
    -m "$count" -r "$callrate" -nostdin -trace_stat -stf "$work/$name-stats.csv" -trace_err -error_file "$work/$name-errors.log" "$@" \
    >"$work/$name.out" 2>&1) &
  callers_pid=$!
  pids+=("$callers_pid")  # so that an interrupted run stops it too
}
run_callers() {
  start_callers "$@"
  wait "$callers_pid"
}
started=$(date +%s)
run_callers callers caller.xml callers.csv "$calls" "$rate" -l 200 || fail "callers: sipp exited $? ($(tail -5 "$work/callers.out"))"
c_port=$h_port
run_callers ringing caller.xml ringing.csv "$ringing_calls" 10 -l 100 || fail "callers to the phone that never answers: sipp exited $?"
run_callers hangups caller-hangs-up.xml hangups.csv "$hangups" 10 -d 500 || fail "callers who hang up: sipp exited $?"
sleep 1
q() { sqlite3 -batch -noheader "$HELPLINE_DB" "$1"; }
total=$((calls + ringing_calls + hangups))
[ "$(q 'SELECT count(*) FROM calls')" = "$total" ] || fail "$(q 'SELECT count(*) FROM calls') calls in the database, sipp placed $total"
[ "$(q 'SELECT count(DISTINCT caller) FROM calls')" = "$total" ] || fail "a caller appears twice"
[ "$(q "SELECT count(*) FROM calls WHERE dialed = '+18005550000' AND status = 'unroutable'")" = 1 ] || fail "the dead number was not unroutable"
# Every other general-number and listing call reached the phone that answers (it is in every plan).
answered=$(q "SELECT count(*) FROM calls WHERE status = 'ended' AND answered_provider_id = 1")
[ "$answered" = "$((calls - 1))" ] || fail "$answered calls answered and ended, expected $((calls - 1))"
[ "$(q "SELECT count(*) FROM calls WHERE dialed = '+18885550133' AND status = 'callback'")" = "$((ringing_calls + hangups))" ] ||
  fail "calls to the phone that never answers are not all waiting for a callback"
[ "$(q "SELECT count(*) FROM callbacks WHERE call_id IN (SELECT id FROM calls WHERE status = 'callback') AND status = 'pending'")" = "$((ringing_calls + hangups))" ] ||
  fail "a call nobody answered has no callback queued"
[ "$(q "SELECT count(*) FROM callbacks WHERE reason = 'caller-hung-up'")" = "$hangups" ] || fail "hang-ups were not recorded as such"
[ "$(q 'SELECT count(*) FROM attempts a LEFT JOIN routing_decisions d ON d.call_id = a.call_id AND d.attempt = a.seq WHERE d.call_id IS NULL')" = 0 ] ||
  fail "an offer has no recorded decision"
failovers=$(q 'SELECT count(*) FROM attempts WHERE seq > 1')
[ "$failovers" -gt 0 ] || fail "no failover happened"
[ "$(q 'SELECT count(*) FROM attempts a JOIN calls c ON c.id = a.call_id JOIN listings l ON l.id = c.listing_id WHERE a.provider_id != l.provider_id')" = 0 ] ||
  fail "a listing call was offered to another provider"
[ "$(q "SELECT count(*) FROM attempts WHERE outcome IS NULL AND ended_at IS NULL")" = 0 ] || fail "offers are left ringing"
[ "$(q "SELECT count(*) FROM calls WHERE status IN ('ringing', 'connected')")" = 0 ] || fail "calls are left ringing or connected"
# Weighted round robin offers first to Answers, Busy and Rings as 2:1:1; allow 3 points either way.
shares=$(q "SELECT group_concat(round(100.0 * n / t), ' ') FROM (SELECT chosen_provider_id, count(*) AS n, (SELECT count(*) FROM routing_decisions WHERE attempt = 1 AND kind = 'pool' AND outcome = 'offer') AS t FROM routing_decisions WHERE attempt = 1 AND kind = 'pool' AND outcome = 'offer' GROUP BY chosen_provider_id ORDER BY chosen_provider_id)")
read -r s1 s2 s3 <<<"$shares"
for pair in "$s1 50" "$s2 25" "$s3 25"; do
  read -r got want <<<"$pair"
  got=${got%.0}
  [ $((got - want)) -le 3 ] && [ $((want - got)) -le 3 ] || fail "first-offer shares $shares (percent), expected 50 25 25 within 3"
done
relayed_missing() {  # Call-IDs Kamailio relayed after a 2xx from the router that the database lacks
  python3 - "$work/kamailio.log" "$HELPLINE_DB" <<'PY'
import re, sqlite3, sys
relayed = set(re.findall(r"relaying router call \d+ attempt \d+ Call-ID (\S+)", open(sys.argv[1], errors="replace").read()))
known = {row[0] for row in sqlite3.connect(sys.argv[2]).execute("SELECT external_id FROM calls WHERE external_id IS NOT NULL")}
missing = relayed - known
print(f"{len(relayed)} {len(missing)}")
PY
}
read -r relayed missing <<<"$(relayed_missing)"
[ "$relayed" -gt 0 ] && [ "$missing" = 0 ] || fail "$missing of $relayed calls Kamailio relayed are not in the database"
"$hl" consent verify >/dev/null || fail "helpline consent verify"
"$hl" doctor >/dev/null || fail "helpline doctor: $("$hl" doctor 2>&1 | grep FAIL)"
sipp_stat() {  # the last value of a column of a sipp statistics file
  python3 - "$1" "$2" <<'PY'
import csv, sys
rows = [r for r in csv.reader(open(sys.argv[1]), delimiter=";") if r]
print(rows[-1][rows[0].index(sys.argv[2])] if len(rows) > 1 else "0")
PY
}
sipp_failed=$(sipp_stat "$work/callers-stats.csv" "FailedCall(C)")
echo "sip-e2e: passed: $total calls in $(( $(date +%s) - started )) s ($failovers failovers, $answered answered, $((ringing_calls + hangups)) callbacks, first-offer shares $shares %, sipp failed calls: $sipp_failed)"
[ "$quick" = 1 ] && exit 0

# Load steps. Calls go to a number only the answering phone serves, so the setup time (INVITE to
# 200 OK at the caller) is the proxy's and the router's, with no failover timer in it.
"$hl" number add --number 8009151271 --members 1 >/dev/null
cpu_of() {  # CPU seconds used so far by a process and all its descendants
  python3 - "$1" <<'PY'
import os, sys
tick = os.sysconf("SC_CLK_TCK")
children = {}
for p in os.listdir("/proc"):
    if p.isdigit():
        try:
            fields = open(f"/proc/{p}/stat").read().rsplit(")", 1)[1].split()
            children.setdefault(int(fields[1]), []).append(int(p))
        except OSError:
            pass
def total(pid):
    try:
        fields = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
        own = int(fields[11]) + int(fields[12])
    except OSError:
        own = 0
    return own + sum(total(c) for c in children.get(pid, []))
print(f"{total(int(sys.argv[1])) / tick:.2f}")
PY
}
echo "rate,placed,successful,failed,retransmissions,setup_p99_ms,serve_cpu_s,kamailio_cpu_s,phones_cpu_s,callers_cpu_s" > "$work/load.csv"
offset=100000
for rate in 200 300 400 600 800 1000; do
  count=$((rate * 20))
  python3 - "$work/load-$rate.csv" "$count" "$offset" <<'PY'
import sys
path, count, offset = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
with open(path, "w") as f:
    f.write("SEQUENTIAL\n")
    for n in range(offset, offset + count):
        f.write("%03d%03d%04d;8009151271\n" % (303 + (n // 10000000) * 100, 200 + (n // 10000) % 800, n % 10000))
PY
  offset=$((offset + count))
  s0=$(cpu_of "${pids[0]}"); k0=$(cpu_of "${pids[1]}"); p0=$(cpu_of "${pids[2]}")
  rm -f "$work"/caller_*_rtt.csv
  TIMEFORMAT='%U %S'
  # A step that can't keep up is stopped 25 s after its last call was due, not minutes later
  # (sipp's own -timeout doesn't end a run that still has calls open).
  callers_limit=45
  { time run_callers "load-$rate" caller.xml "load-$rate.csv" "$count" "$rate" -l "$((rate * 3))" -trace_rtt -rtt_freq 1000 -fd 1; } \
    2>"$work/load-$rate.time" || true
  s1=$(cpu_of "${pids[0]}"); k1=$(cpu_of "${pids[1]}"); p1=$(cpu_of "${pids[2]}")
  read -r cu cs <"$work/load-$rate.time"
  p99=$(python3 - "$work" <<'PY'
import glob, sys
times = []
for path in glob.glob(sys.argv[1] + "/caller_*_rtt.csv"):
    for line in open(path):
        parts = line.strip().split(";")
        if len(parts) >= 2 and parts[1].replace(".", "").isdigit():
            times.append(float(parts[1]))
times.sort()
print(f"{times[max(0, int(len(times) * 0.99) - 1)]:.1f}" if times else "nan")
PY
)
  f="$work/load-$rate-stats.csv"
  echo "$rate,$count,$(sipp_stat "$f" "SuccessfulCall(C)"),$(sipp_stat "$f" "FailedCall(C)"),$(sipp_stat "$f" "Retransmissions(C)"),$p99,$(python3 -c "print(round($s1-$s0,2))"),$(python3 -c "print(round($k1-$k0,2))"),$(python3 -c "print(round($p1-$p0,2))"),$(python3 -c "print(round($cu+$cs,2))")" >>"$work/load.csv"
  tail -1 "$work/load.csv"
done
callers_limit=300
cat "$work/load.csv"
[ "$(q "SELECT count(*) FROM attempts WHERE outcome IS NULL AND ended_at IS NULL AND ring_deadline < CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER) - 60000")" = 0 ] ||
  fail "offers were left ringing by the load steps"

# Drain: SIGTERM to the server during 200 calls a second; Kamailio must answer 503, never silence.
count=4000
python3 - "$work/drain.csv" "$count" "$offset" <<'PY'
import sys
path, count, offset = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
with open(path, "w") as f:
    f.write("SEQUENTIAL\n")
    for n in range(offset, offset + count):
        f.write("617%03d%04d;8009151271\n" % (200 + (n // 10000) % 800, n % 10000))
PY
before=$(q 'SELECT count(*) FROM calls')
start_callers drain caller.xml drain.csv "$count" 200 -l 600
drain_pid=$callers_pid
sleep 8
kill -TERM "${pids[0]}"
serve_exit=0
wait "${pids[0]}" || serve_exit=$?
[ "$serve_exit" = 0 ] || fail "helpline serve exited $serve_exit on SIGTERM"
sleep 2
HELPLINE_API_TOKEN="$token" timeout "$limit" "$hl" serve --listen "127.0.0.1:$http_port" 2>"$work/serve2.log" &
pids[0]=$!
wait "$drain_pid" || true
sleep 1
"$hl" sweep --at "$(date -u -d '+60 seconds' +%Y-%m-%dT%H:%M:%SZ)" >/dev/null
f="$work/drain-stats.csv"
placed=$(sipp_stat "$f" "SuccessfulCall(C)"); failed=$(sipp_stat "$f" "FailedCall(C)")
in_db=$(( $(q 'SELECT count(*) FROM calls') - before ))
refused=$(grep -c "503 Service Unavailable" "$work/kamailio.log" || true)
echo "sip-e2e: drain: sipp completed $placed calls and failed $failed ($((placed - in_db)) refused with 503 while the server was down); $in_db reached the database; the server exited $serve_exit"
[ "$failed" = 0 ] || fail "callers saw silence or errors during the drain"
read -r relayed missing <<<"$(relayed_missing)"
[ "$missing" = 0 ] || fail "$missing of $relayed calls Kamailio relayed (after a 2xx from the server) are not in the database"
[ "$(q "SELECT count(*) FROM attempts WHERE outcome IS NULL AND ended_at IS NULL")" = 0 ] || fail "calls are left ringing after the drain"
"$hl" consent verify >/dev/null || fail "helpline consent verify after the drain"
"$hl" doctor >/dev/null || fail "helpline doctor after the drain"
echo "sip-e2e: full run passed"

