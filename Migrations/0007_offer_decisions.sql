-- 0007: every offer is a decision. After an attempt goes unanswered, Router.nextOffer decides the
-- next step (the next planned fallback that is eligible now, or a callback) and it is recorded
-- like the first decision, with every remaining candidate's verdict and the inputs it read:
--   attempt 1   the call's first decision (what entitlement and the neutrality audit count)
--   attempt N   the step after attempt N-1 went unanswered: an offer of attempt N, or the callback
-- routing_decisions and decision_inputs are rebuilt with `attempt` in their keys; existing rows
-- are the first decisions of their calls.
CREATE TABLE routing_decisions_v7 (
    id                  INTEGER PRIMARY KEY,
    call_id             INTEGER NOT NULL REFERENCES calls (id),
    attempt             INTEGER NOT NULL DEFAULT 1 CHECK (attempt >= 1),
    decided_at          INTEGER NOT NULL,
    kind                TEXT    NOT NULL CHECK (kind IN ('direct', 'pool', 'unroutable')),
    strategy            TEXT    NOT NULL,                     -- the strategy that made the call's plan
    outcome             TEXT    NOT NULL CHECK (outcome IN ('offer', 'callback', 'unroutable')),
    chosen_provider_id  INTEGER REFERENCES providers (id),
    tier                INTEGER,
    top_tier            INTEGER,                              -- NULL for later decisions: they follow the plan, not shares
    tier_weight         INTEGER,
    sticky              INTEGER NOT NULL DEFAULT 0 CHECK (sticky IN (0, 1)),
    callback_reason     TEXT,
    fallbacks           TEXT    NOT NULL DEFAULT '[]',        -- the planned providers still to offer after this one
    candidate_set_id    INTEGER NOT NULL REFERENCES candidate_sets (id),
    UNIQUE (call_id, attempt)
);
INSERT INTO routing_decisions_v7 (id, call_id, attempt, decided_at, kind, strategy, outcome, chosen_provider_id, tier, top_tier,
    tier_weight, sticky, callback_reason, fallbacks, candidate_set_id)
SELECT id, call_id, 1, decided_at, kind, strategy, outcome, chosen_provider_id, tier, top_tier, tier_weight, sticky,
    callback_reason, fallbacks, candidate_set_id FROM routing_decisions;
DROP TABLE routing_decisions;
ALTER TABLE routing_decisions_v7 RENAME TO routing_decisions;
CREATE INDEX routing_decisions_decided ON routing_decisions (decided_at);

-- What each decision read. For attempt 1 as before; for a later decision
--   {"a": attempt, "m": max attempts, "s": caller state, "t": [providers already offered, in order],
--    "c": [[provider_id, revision, member, hour, day, month, concurrent, last_offer_at, utc_offset_s], ...]}
-- From this version on, each candidate row ends with its zone's UTC offset at the decision, so a
-- replay notices when a tzdata update moved it.
CREATE TABLE decision_inputs_v7 (
    call_id       INTEGER NOT NULL REFERENCES calls (id),
    attempt       INTEGER NOT NULL DEFAULT 1,
    state_before  TEXT    NOT NULL,
    input         TEXT    NOT NULL,
    PRIMARY KEY (call_id, attempt)
) WITHOUT ROWID;
INSERT INTO decision_inputs_v7 (call_id, attempt, state_before, input) SELECT call_id, 1, state_before, input FROM decision_inputs;
DROP TABLE decision_inputs;
ALTER TABLE decision_inputs_v7 RENAME TO decision_inputs;
