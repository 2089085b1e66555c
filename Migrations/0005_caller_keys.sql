-- 0005: callers are hashed with a secret key per retention period (a UTC month), so a purge can
-- shred the key: the ledger's chain still verifies, but a purged number can no longer be
-- confirmed by hashing guesses (North American numbers are only 10 digits).
--   calls.caller_sha256, callbacks.phone_sha256 and consent_records.caller_sha256 are, for
--   rows written from this version on, lowercase hex HMAC-SHA256(key of the row's month, E.164).
--   Rows written before it keep their plain SHA-256, and a purge can't shred those.
CREATE TABLE caller_keys (
    period      INTEGER PRIMARY KEY,                         -- UTC month, 202611
    key         BLOB    NOT NULL CHECK (length(key) = 32),  -- random; deleted by the purge of its whole month
    created_at  INTEGER NOT NULL
);

-- Every purge, with what it shredded: the record of why some hashes can no longer be confirmed.
CREATE TABLE purges (
    id               INTEGER PRIMARY KEY,
    at               INTEGER NOT NULL,
    before           INTEGER NOT NULL,                       -- numbers received before this were redacted
    calls            INTEGER NOT NULL,
    callbacks        INTEGER NOT NULL,
    shredded_periods TEXT    NOT NULL DEFAULT ''             -- comma list of the months whose keys were deleted
);
