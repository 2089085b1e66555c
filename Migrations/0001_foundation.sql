-- 0001: the configuration an operator sets up: providers, listings, helpline numbers, terms.
-- Instants are UTC epoch milliseconds (INTEGER). Phone numbers are E.164 text.
-- No price, bid, payout or per-call fee exists anywhere in this schema, by design.

CREATE TABLE providers (
    id                INTEGER PRIMARY KEY,
    name              TEXT    NOT NULL CHECK (length(trim(name)) > 0),
    phone             TEXT    NOT NULL,                       -- E.164, where offers ring
    time_zone         TEXT    NOT NULL,                       -- IANA zone for hours and caps
    hours             TEXT    NOT NULL DEFAULT '24/7',        -- weekly hours spec, canonical form
    states            TEXT    NOT NULL DEFAULT '',            -- comma list of US states; '' = all
    weight            INTEGER NOT NULL DEFAULT 1 CHECK (weight BETWEEN 1 AND 100),
    priority          INTEGER NOT NULL DEFAULT 1 CHECK (priority >= 1),  -- tier 1 goes first
    hourly_cap        INTEGER CHECK (hourly_cap >= 0),        -- NULL = no cap
    daily_cap         INTEGER CHECK (daily_cap >= 0),
    monthly_cap       INTEGER CHECK (monthly_cap >= 0),
    concurrency_cap   INTEGER CHECK (concurrency_cap >= 0),
    auto_pause_after  INTEGER CHECK (auto_pause_after >= 1), -- unanswered offers in a row; NULL = never
    status            TEXT    NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'paused', 'removed')),
    created_at        INTEGER NOT NULL,
    updated_at        INTEGER NOT NULL
);

-- A listing's tracking number always rings its own provider.
CREATE TABLE listings (
    id           INTEGER PRIMARY KEY,
    name         TEXT    NOT NULL CHECK (length(trim(name)) > 0),
    number       TEXT    NOT NULL,
    provider_id  INTEGER NOT NULL REFERENCES providers (id),
    created_at   INTEGER NOT NULL,
    removed_at   INTEGER                                       -- soft removal keeps call history readable
);
CREATE UNIQUE INDEX listings_active_number ON listings (number) WHERE removed_at IS NULL;
CREATE INDEX listings_provider ON listings (provider_id);

-- A general helpline number; its calls go to one of its member providers.
CREATE TABLE helplines (
    id                  INTEGER PRIMARY KEY,
    number              TEXT    NOT NULL UNIQUE,
    name                TEXT    NOT NULL DEFAULT '',
    strategy            TEXT    NOT NULL DEFAULT 'weighted-round-robin'
                        CHECK (strategy IN ('weighted-round-robin', 'least-recent', 'fewest-calls', 'weighted-random')),
    all_providers       INTEGER NOT NULL DEFAULT 1 CHECK (all_providers IN (0, 1)), -- 1: every provider not removed, now and later
    repeat_window_days  INTEGER NOT NULL DEFAULT 30 CHECK (repeat_window_days >= 0),
    ring_timeout_s      INTEGER NOT NULL DEFAULT 20 CHECK (ring_timeout_s >= 1),
    max_attempts        INTEGER NOT NULL DEFAULT 3 CHECK (max_attempts >= 1),
    created_at          INTEGER NOT NULL,
    updated_at          INTEGER NOT NULL
);

-- Explicit members; read only when helplines.all_providers = 0.
CREATE TABLE helpline_members (
    helpline_id  INTEGER NOT NULL REFERENCES helplines (id) ON DELETE CASCADE,
    provider_id  INTEGER NOT NULL REFERENCES providers (id),
    PRIMARY KEY (helpline_id, provider_id)
) WITHOUT ROWID;

-- A dialed number means one thing: an active listing or a helpline, never both.
CREATE TRIGGER listings_number_not_helpline BEFORE INSERT ON listings
WHEN EXISTS (SELECT 1 FROM helplines WHERE number = NEW.number)
BEGIN SELECT RAISE(ABORT, 'number is already a helpline number'); END;

CREATE TRIGGER helplines_number_not_listing BEFORE INSERT ON helplines
WHEN EXISTS (SELECT 1 FROM listings WHERE number = NEW.number AND removed_at IS NULL)
BEGIN SELECT RAISE(ABORT, 'number is already a listing number'); END;

CREATE TRIGGER helplines_number_update_not_listing BEFORE UPDATE OF number ON helplines
WHEN EXISTS (SELECT 1 FROM listings WHERE number = NEW.number AND removed_at IS NULL)
BEGIN SELECT RAISE(ABORT, 'number is already a listing number'); END;

-- Terms of use. A version is immutable once published: its text is what callers agreed to.
CREATE TABLE terms_versions (
    version       INTEGER PRIMARY KEY,
    text          TEXT    NOT NULL,
    sha256        TEXT    NOT NULL CHECK (length(sha256) = 64),  -- lowercase hex SHA-256 of text as UTF-8
    effective_at  INTEGER NOT NULL,
    published_at  INTEGER NOT NULL
);
CREATE INDEX terms_versions_effective ON terms_versions (effective_at, version);

CREATE TRIGGER terms_versions_no_update BEFORE UPDATE ON terms_versions
BEGIN SELECT RAISE(ABORT, 'terms versions are immutable; publish a new version'); END;
CREATE TRIGGER terms_versions_no_delete BEFORE DELETE ON terms_versions
BEGIN SELECT RAISE(ABORT, 'terms versions are immutable; publish a new version'); END;

-- Every change of a provider's status, by an operator or automatically (auto-pause), in order.
CREATE TABLE provider_events (
    id           INTEGER PRIMARY KEY,
    provider_id  INTEGER NOT NULL REFERENCES providers (id),
    at           INTEGER NOT NULL,
    event        TEXT    NOT NULL CHECK (event IN ('added', 'paused', 'resumed', 'removed', 'auto-paused')),
    detail       TEXT    NOT NULL DEFAULT ''
);
CREATE INDEX provider_events_provider ON provider_events (provider_id, at);
