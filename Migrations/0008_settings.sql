-- 0008: settings the database keeps for itself, and the rules an auditor needs, in the file.
--
-- settings: the helpline's own values. time_zone is the IANA zone for days and hours in reports and
-- listings, and for providers added without one, unless --tz or $HELPLINE_TZ says otherwise.
CREATE TABLE settings (
    key         TEXT    PRIMARY KEY,
    value       TEXT    NOT NULL,
    updated_at  INTEGER NOT NULL
) WITHOUT ROWID;

-- audit_rules: how to check the public claims from this file alone, since SQLite keeps no comments
-- of the migrations (`.schema` doesn't show them). Read it with: SELECT * FROM audit_rules;
CREATE TABLE audit_rules (
    topic  TEXT PRIMARY KEY,
    rule   TEXT NOT NULL
) WITHOUT ROWID;
INSERT INTO audit_rules (topic, rule) VALUES
('units', 'Instants are INTEGER UTC epoch milliseconds. Phone numbers are E.164 text. Days and hours are cut in an IANA zone: settings.time_zone for reports, providers.time_zone for hours and caps.'),
('neutrality by design', 'No price, bid, payout or per-call fee exists anywhere in this schema or in a routing decision. Shares follow configured weights only.'),
('consent chain', 'consent_records.hash = lowercase hex SHA-256 of the UTF-8 text seq|recorded_at|kind|mechanism|caller_sha256|call_id|callback_id|terms_version|terms_sha256|note|prev_hash, fields in that order joined by |, NULL written as the empty string, integers in decimal. prev_hash is the previous record''s hash; for seq 1 it is 64 zeros (the genesis value). seq runs 1, 2, 3 with no gaps.'),
('configuration chain', 'config_changes.hash = lowercase hex SHA-256 of seq|at|entity|entity_id|action|state|source|prev_hash, with prev_hash the previous row''s hash (64 zeros for the first). A row with no hash was made outside helpline and not sealed.'),
('terms', 'terms_versions.sha256 = lowercase hex SHA-256 of text as UTF-8. A consent record''s terms_sha256 must equal the sha256 of its terms_version.'),
('caller hashes', 'caller_sha256 and phone_sha256 are HMAC-SHA256(caller_keys.key of the row''s UTC month, E.164 number), lowercase hex; rows from before caller keys hold a plain SHA-256. A purge deletes the keys of whole months (purges.shredded_periods).'),
('listing reroutes', 'A call to a listing number is offered only to the listing''s provider: SELECT count(*) FROM attempts a JOIN calls c ON c.id = a.call_id JOIN listings l ON l.id = c.listing_id WHERE a.provider_id != l.provider_id must be 0.'),
('response rate', 'Per call, once: a routable call (kind != unroutable) responded when it was answered (calls.answered_at) or its callback was returned (callbacks.status = returned, matched by call_id). rate = responded / routable calls received in the window. Web-form callbacks are not calls and count apart. Response time = answered_at or callbacks.closed_at minus received_at; the banner quotes the median.'),
('entitlement', 'Each routing_decisions row with attempt = 1, kind = pool, outcome = offer and sticky = 0 is one first offer. Its candidate_sets list holds [provider_id, tier, weight] for eligible candidates; a candidate''s share is weight / tier_weight when tier = top_tier, else 0. A provider''s entitlement over a period is the sum of its shares.');
