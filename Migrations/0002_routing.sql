-- 0002: calls, attempts, routing decisions, counters, strategy state, callbacks and the consent ledger.

-- Every call received, routable or not.
CREATE TABLE calls (
    id                   INTEGER PRIMARY KEY,
    external_id          TEXT,                                -- telephony's call id; a resent route returns the same call
    received_at          INTEGER NOT NULL,
    caller               TEXT    NOT NULL,                    -- E.164; '' once purged
    caller_sha256        TEXT    NOT NULL,                    -- SHA-256 of the E.164 caller; survives a purge
    caller_state         TEXT,
    caller_state_source  TEXT CHECK (caller_state_source IN ('telephony', 'area-code')),
    dialed               TEXT    NOT NULL,
    kind                 TEXT    NOT NULL CHECK (kind IN ('direct', 'pool', 'unroutable')),
    listing_id           INTEGER REFERENCES listings (id),
    helpline_id          INTEGER REFERENCES helplines (id),
    status               TEXT    NOT NULL CHECK (status IN ('ringing', 'connected', 'ended', 'callback', 'unroutable')),
    sticky               INTEGER NOT NULL DEFAULT 0 CHECK (sticky IN (0, 1)),  -- a repeat caller sent back (as in its decision)
    answered_at          INTEGER,
    answered_provider_id INTEGER REFERENCES providers (id),
    answered_seq         INTEGER,                             -- which attempt was answered; > 1 means after failover
    ended_at             INTEGER,
    updated_at           INTEGER NOT NULL
);
CREATE INDEX calls_received ON calls (received_at);
-- Partial, so calls without a telephony id cost no index write.
CREATE UNIQUE INDEX calls_external ON calls (external_id) WHERE external_id IS NOT NULL;
CREATE INDEX calls_repeat ON calls (caller_sha256, helpline_id, received_at);

-- Each offer of a call to a provider, in order.
CREATE TABLE attempts (
    id             INTEGER PRIMARY KEY,
    call_id        INTEGER NOT NULL REFERENCES calls (id),
    seq            INTEGER NOT NULL CHECK (seq >= 1),
    provider_id    INTEGER NOT NULL REFERENCES providers (id),
    offered_at     INTEGER NOT NULL,
    ring_deadline  INTEGER NOT NULL,                          -- after this an unanswered offer stops counting toward concurrency
    outcome        TEXT CHECK (outcome IN ('answered', 'no-answer', 'busy', 'failed')),  -- NULL while ringing
    answered_at    INTEGER,
    ended_at       INTEGER,                                   -- set with a failed outcome, or when an answered call ends
    UNIQUE (call_id, seq)
);
-- What concurrency counts: offers still ringing (by deadline) and calls still connected (by
-- answer time). Range scans over these read only offers inside the timeouts, so offers whose
-- events were lost do not slow routing down as they pile up.
CREATE INDEX attempts_ringing ON attempts (ring_deadline) WHERE outcome IS NULL AND ended_at IS NULL;
CREATE INDEX attempts_connected ON attempts (answered_at) WHERE outcome = 'answered' AND ended_at IS NULL;

-- Every distinct list of candidate verdicts, stored once: between changes of hours, caps or
-- status, thousands of decisions share one list, so each decision refers to it by id.
--   [[provider_id, tier, weight], [provider_id, tier, "reason"], ...]: weight when eligible (its
--   share is weight / tier_weight when tier = top_tier, else 0), the exclusion reason otherwise.
CREATE TABLE candidate_sets (
    id          INTEGER PRIMARY KEY,
    candidates  TEXT    NOT NULL UNIQUE
);

-- The audit record of each routing: every candidate's verdict and the state it read.
CREATE TABLE routing_decisions (
    id                  INTEGER PRIMARY KEY,
    call_id             INTEGER NOT NULL UNIQUE REFERENCES calls (id),
    decided_at          INTEGER NOT NULL,
    kind                TEXT    NOT NULL CHECK (kind IN ('direct', 'pool', 'unroutable')),
    strategy            TEXT    NOT NULL,                     -- weighted-round-robin | least-recent | fewest-calls | weighted-random | direct | none
    outcome             TEXT    NOT NULL CHECK (outcome IN ('offer', 'callback', 'unroutable')),
    chosen_provider_id  INTEGER REFERENCES providers (id),
    tier                INTEGER,                              -- the chosen provider's tier
    top_tier            INTEGER,                              -- the lowest tier with an eligible provider
    tier_weight         INTEGER,                              -- the eligible weight of top_tier: share = weight / tier_weight
    sticky              INTEGER NOT NULL DEFAULT 0 CHECK (sticky IN (0, 1)),
    callback_reason     TEXT,
    fallbacks           TEXT    NOT NULL DEFAULT '[]',        -- JSON array of provider ids, in order
    candidate_set_id    INTEGER NOT NULL REFERENCES candidate_sets (id)  -- every candidate's verdict
);
CREATE INDEX routing_decisions_decided ON routing_decisions (decided_at);

-- What a decision read besides its candidates, kept apart so that reports scanning decisions
-- read narrow rows. One row per decision, keyed by the call.
CREATE TABLE decision_inputs (
    call_id       INTEGER PRIMARY KEY REFERENCES calls (id),
    -- The strategy state read: {"w": {"<provider id>": current weight, ...}, "seed": "<u64>"}
    state_before  TEXT NOT NULL,
    -- {"m": the helpline's max attempts (pool calls), "s": caller state, "r": repeat provider,
    --  "c": [[provider_id, revision, member 0|1, hour, day, month, concurrent, last_offer_at], ...]}
    input         TEXT NOT NULL
);

-- Each provider's live counts: offers in its current local hour, day and month (the keys are
-- periods of the provider's own zone), its last offer, and its run of unanswered offers. Caps
-- and strategies read one row per provider and never count over calls, so routing costs the
-- same on an empty database and on years of history. A key that is not the current period
-- counts 0. `helpline doctor` recounts these from attempts.
CREATE TABLE provider_live (
    provider_id          INTEGER PRIMARY KEY REFERENCES providers (id),
    hour_key             INTEGER NOT NULL DEFAULT 0,          -- 2026112514
    hour_offered         INTEGER NOT NULL DEFAULT 0,
    day_key              INTEGER NOT NULL DEFAULT 0,          -- 20261125
    day_offered          INTEGER NOT NULL DEFAULT 0,
    month_key            INTEGER NOT NULL DEFAULT 0,          -- 202611
    month_offered        INTEGER NOT NULL DEFAULT 0,
    last_offer_at        INTEGER,
    unanswered_in_a_row  INTEGER NOT NULL DEFAULT 0
);

-- Routing strategy state per helpline, shared by every process (smooth WRR's current weights).
CREATE TABLE strategy_state (
    helpline_id  INTEGER PRIMARY KEY REFERENCES helplines (id),
    state        TEXT    NOT NULL,                            -- JSON: {"w": {"<provider id>": current weight}}
    updated_at   INTEGER NOT NULL
);

-- Callbacks owed to callers.
CREATE TABLE callbacks (
    id               INTEGER PRIMARY KEY,
    call_id          INTEGER REFERENCES calls (id),           -- NULL for web-form requests
    phone            TEXT    NOT NULL,                        -- E.164; '' once purged
    phone_sha256     TEXT    NOT NULL,
    caller_state     TEXT,
    reason           TEXT    NOT NULL CHECK (reason IN ('no-eligible-provider', 'no-answer', 'caller-hung-up', 'web-form')),
    helpline_id      INTEGER REFERENCES helplines (id),
    owed_by          INTEGER REFERENCES providers (id),       -- a listing call's callback is owed by the listing's provider
    requested_at     INTEGER NOT NULL,
    status           TEXT    NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'returned', 'abandoned', 'revoked')),
    returned_by      INTEGER REFERENCES providers (id),
    closed_at        INTEGER
);
CREATE INDEX callbacks_pending ON callbacks (requested_at) WHERE status = 'pending';
CREATE INDEX callbacks_phone ON callbacks (phone_sha256, status);
CREATE INDEX callbacks_requested ON callbacks (requested_at);
CREATE UNIQUE INDEX callbacks_call ON callbacks (call_id) WHERE call_id IS NOT NULL;

-- Web-form requests refused before anything was queued (a changed honeypot).
CREATE TABLE rejected_requests (
    id          INTEGER PRIMARY KEY,
    at          INTEGER NOT NULL,
    reason      TEXT    NOT NULL,
    detail      TEXT    NOT NULL DEFAULT ''
);

-- The consent ledger: append-only and hash-chained. An auditor can recompute every hash:
--   hash = lowercase hex SHA-256 of the UTF-8 text
--     seq|recorded_at|kind|mechanism|caller_sha256|call_id|callback_id|terms_version|terms_sha256|note|prev_hash
--   where NULL is written as the empty string, integers in decimal, and prev_hash is the previous
--   record's hash (64 zeros for seq 1). Every column except hash is covered.
-- The caller is kept as a SHA-256 of its E.164 number, so a purge of caller numbers leaves the
-- chain intact and `consent show --caller` still finds the proof.
CREATE TABLE consent_records (
    seq            INTEGER PRIMARY KEY,                       -- 1, 2, 3… with no gaps
    recorded_at    INTEGER NOT NULL,                          -- UTC epoch milliseconds
    kind           TEXT    NOT NULL CHECK (kind IN ('consent', 'revocation')),
    mechanism      TEXT    NOT NULL CHECK (mechanism IN ('call', 'web-form', 'operator')),
    caller_sha256  TEXT    NOT NULL CHECK (length(caller_sha256) = 64),
    call_id        INTEGER,
    callback_id    INTEGER,
    terms_version  INTEGER,                                   -- NULL when no terms were published yet
    terms_sha256   TEXT,
    note           TEXT    NOT NULL DEFAULT '',               -- e.g. 'no terms published'
    prev_hash      TEXT    NOT NULL CHECK (length(prev_hash) = 64),
    hash           TEXT    NOT NULL CHECK (length(hash) = 64)  -- unique by construction: each covers the previous
);
CREATE INDEX consent_records_caller ON consent_records (caller_sha256, seq);
CREATE INDEX consent_records_call ON consent_records (call_id) WHERE call_id IS NOT NULL;  -- only consent records carry a call

CREATE TRIGGER consent_records_no_update BEFORE UPDATE ON consent_records
BEGIN SELECT RAISE(ABORT, 'the consent ledger is append-only'); END;
CREATE TRIGGER consent_records_no_delete BEFORE DELETE ON consent_records
BEGIN SELECT RAISE(ABORT, 'the consent ledger is append-only'); END;

-- Provider settings are versioned, so a decision can be replayed with the settings it saw.
-- The program bumps providers.revision on every update; the triggers keep the history.
ALTER TABLE providers ADD COLUMN revision INTEGER NOT NULL DEFAULT 1;
CREATE TABLE provider_revisions (
    provider_id       INTEGER NOT NULL REFERENCES providers (id),
    revision          INTEGER NOT NULL,
    name              TEXT    NOT NULL,
    phone             TEXT    NOT NULL,
    time_zone         TEXT    NOT NULL,
    hours             TEXT    NOT NULL,
    states            TEXT    NOT NULL,
    weight            INTEGER NOT NULL,
    priority          INTEGER NOT NULL,
    hourly_cap        INTEGER,
    daily_cap         INTEGER,
    monthly_cap       INTEGER,
    concurrency_cap   INTEGER,
    auto_pause_after  INTEGER,
    status            TEXT    NOT NULL,
    recorded_at       INTEGER NOT NULL,
    PRIMARY KEY (provider_id, revision)
) WITHOUT ROWID;
INSERT INTO provider_revisions
SELECT id, revision, name, phone, time_zone, hours, states, weight, priority, hourly_cap, daily_cap, monthly_cap,
       concurrency_cap, auto_pause_after, status, updated_at FROM providers;
CREATE TRIGGER providers_revision_insert AFTER INSERT ON providers BEGIN
    INSERT INTO provider_revisions VALUES (NEW.id, NEW.revision, NEW.name, NEW.phone, NEW.time_zone, NEW.hours, NEW.states,
        NEW.weight, NEW.priority, NEW.hourly_cap, NEW.daily_cap, NEW.monthly_cap, NEW.concurrency_cap, NEW.auto_pause_after,
        NEW.status, NEW.updated_at);
END;
CREATE TRIGGER providers_revision_update AFTER UPDATE ON providers WHEN NEW.revision != OLD.revision BEGIN
    INSERT INTO provider_revisions VALUES (NEW.id, NEW.revision, NEW.name, NEW.phone, NEW.time_zone, NEW.hours, NEW.states,
        NEW.weight, NEW.priority, NEW.hourly_cap, NEW.daily_cap, NEW.monthly_cap, NEW.concurrency_cap, NEW.auto_pause_after,
        NEW.status, NEW.updated_at);
END;

-- A number that changes whenever routing configuration changes, so a process can cache the
-- providers, listings and helplines and reread them only when this moves.
CREATE TABLE config_version (
    id       INTEGER PRIMARY KEY CHECK (id = 1),
    version  INTEGER NOT NULL
);
INSERT INTO config_version (id, version) VALUES (1, 1);
CREATE TRIGGER config_providers_insert AFTER INSERT ON providers BEGIN UPDATE config_version SET version = version + 1; END;
CREATE TRIGGER config_providers_update AFTER UPDATE ON providers BEGIN UPDATE config_version SET version = version + 1; END;
CREATE TRIGGER config_listings_insert AFTER INSERT ON listings BEGIN UPDATE config_version SET version = version + 1; END;
CREATE TRIGGER config_listings_update AFTER UPDATE ON listings BEGIN UPDATE config_version SET version = version + 1; END;
CREATE TRIGGER config_helplines_insert AFTER INSERT ON helplines BEGIN UPDATE config_version SET version = version + 1; END;
CREATE TRIGGER config_helplines_update AFTER UPDATE ON helplines BEGIN UPDATE config_version SET version = version + 1; END;
CREATE TRIGGER config_members_insert AFTER INSERT ON helpline_members BEGIN UPDATE config_version SET version = version + 1; END;
CREATE TRIGGER config_members_delete AFTER DELETE ON helpline_members BEGIN UPDATE config_version SET version = version + 1; END;
CREATE TRIGGER config_terms_insert AFTER INSERT ON terms_versions BEGIN UPDATE config_version SET version = version + 1; END;
