#!/usr/bin/env python3
"""Checks the helpline's public claims from a copy of its database, with nothing but Python.

    python3 Scripts/audit-recipe.py DATABASE [--days 30] [--at EPOCH_MS]

Prints one JSON object: the listing reroutes (must be 0), the banner's figures and n over the window
ending at --at (default now), each provider's first offers and entitlement (the neutrality table, all
time), and whether the consent chain verifies. The rules it follows are in the database itself:
SELECT * FROM audit_rules;
"""
import hashlib, json, sqlite3, sys, time

if len(sys.argv) < 2 or sys.argv[1] in ("-h", "--help"):
    print(__doc__.strip()); sys.exit(0 if len(sys.argv) > 1 else 64)
args = dict(zip(sys.argv[2::2], sys.argv[3::2]))
db = sqlite3.connect(f"file:{sys.argv[1]}?mode=ro", uri=True)
q = lambda sql, *a: db.execute(sql, a).fetchall()
end = int(args.get("--at", time.time() * 1000)); start = end - int(args.get("--days", 30)) * 86_400_000

reroutes = q("SELECT count(*) FROM attempts a JOIN calls c ON c.id = a.call_id JOIN listings l ON l.id = c.listing_id"
             " WHERE a.provider_id != l.provider_id")[0][0]

times = []  # per routable call, once: answered, else its returned callback
rows = q("SELECT c.received_at, c.answered_at, b.status, b.closed_at FROM calls c LEFT JOIN callbacks b ON b.call_id = c.id"
         " WHERE c.received_at > ? AND c.received_at <= ? AND c.kind != 'unroutable'", start, end)
for received, answered, status, closed in rows:
    if answered is not None: times.append((answered - received) / 1000)
    elif status == "returned" and closed is not None and closed <= end: times.append((closed - received) / 1000)
times.sort(); n = len(times)
median = None if not n else (times[n // 2] if n % 2 else (times[n // 2 - 1] + times[n // 2]) / 2)

entitled, first = {}, {}
for cands, top, weight, chosen, count in q(
        "SELECT s.candidates, d.top_tier, d.tier_weight, d.chosen_provider_id, count(*) FROM routing_decisions d"
        " JOIN candidate_sets s ON s.id = d.candidate_set_id WHERE d.attempt = 1 AND d.kind = 'pool' AND d.outcome = 'offer'"
        " AND d.sticky = 0 GROUP BY 1, 2, 3, 4"):
    first[chosen] = first.get(chosen, 0) + count
    for pid, tier, w in json.loads(cands):
        if not isinstance(w, str) and tier == top and weight: entitled[pid] = entitled.get(pid, 0) + count * w / weight

prev, chain_ok = "0" * 64, True
for row in q("SELECT seq, recorded_at, kind, mechanism, caller_sha256, call_id, callback_id, terms_version, terms_sha256,"
             " note, prev_hash, hash FROM consent_records ORDER BY seq"):
    text = "|".join("" if v is None else str(v) for v in row[:10]) + "|" + row[10]
    if row[10] != prev or hashlib.sha256(text.encode()).hexdigest() != row[11]: chain_ok = False; break
    prev = row[11]

print(json.dumps({"listing_reroutes": reroutes, "banner": {"n": len(rows), "responded": n,
      "response_rate": n / len(rows) if rows else None, "median_response_seconds": median},
      "neutrality": {str(p): {"first_offers": first.get(p, 0), "entitled": round(entitled.get(p, 0), 3)}
                     for p in sorted(set(first) | set(entitled))}, "consent_chain_intact": chain_ok}, sort_keys=True))
