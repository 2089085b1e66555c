-- 0006: an append-only, hash-chained history of every change to providers, helpline numbers,
-- listings and terms, so an auditor can see the configuration each decision ran under.
--
-- Triggers write a row for every change, however it was made (this program or the sqlite3
-- shell), with `state`, a JSON snapshot of the entity after the change. helpline then seals the
-- rows of each of its own transactions: it fills `source` (the command or service that made the
-- change) and chains them:
--   hash = lowercase hex SHA-256 of the UTF-8 text  seq|at|entity|entity_id|action|state|source|prev_hash
--   with prev_hash the previous sealed row's hash (64 zeros for the first).
-- Rows it finds unsealed when it starts a change were made by something else: it seals them with
-- the source 'outside helpline', so they stay visible. `helpline consent verify` checks the chain.
CREATE TABLE config_changes (
    seq        INTEGER PRIMARY KEY,
    at         INTEGER NOT NULL,                             -- when, UTC epoch ms (the entity's own updated_at / created_at)
    entity     TEXT    NOT NULL CHECK (entity IN ('provider', 'helpline', 'listing', 'terms')),
    entity_id  INTEGER NOT NULL,
    action     TEXT    NOT NULL,                             -- added | updated | paused | resumed | removed | published
    state      TEXT    NOT NULL,                             -- JSON: the entity's settings after the change
    source     TEXT,                                         -- e.g. 'helpline provider update', 'auto-pause'; NULL until sealed
    prev_hash  TEXT,
    hash       TEXT
);
CREATE INDEX config_changes_unsealed ON config_changes (seq) WHERE hash IS NULL;
CREATE INDEX config_changes_at ON config_changes (at);
CREATE INDEX config_changes_entity ON config_changes (entity, entity_id, seq);

CREATE TRIGGER config_changes_no_update BEFORE UPDATE ON config_changes WHEN OLD.hash IS NOT NULL
BEGIN SELECT RAISE(ABORT, 'the configuration history is append-only'); END;
CREATE TRIGGER config_changes_no_delete BEFORE DELETE ON config_changes WHEN OLD.hash IS NOT NULL
BEGIN SELECT RAISE(ABORT, 'the configuration history is append-only'); END;

CREATE TRIGGER history_provider_insert AFTER INSERT ON providers BEGIN
    INSERT INTO config_changes (at, entity, entity_id, action, state) VALUES (NEW.updated_at, 'provider', NEW.id, 'added',
        json_object('name', NEW.name, 'phone', NEW.phone, 'time_zone', NEW.time_zone, 'hours', NEW.hours, 'states', NEW.states,
            'weight', NEW.weight, 'priority', NEW.priority, 'hourly_cap', NEW.hourly_cap, 'daily_cap', NEW.daily_cap,
            'monthly_cap', NEW.monthly_cap, 'concurrency_cap', NEW.concurrency_cap, 'auto_pause_after', NEW.auto_pause_after,
            'status', NEW.status));
END;
CREATE TRIGGER history_provider_update AFTER UPDATE ON providers
WHEN OLD.name IS NOT NEW.name OR OLD.phone IS NOT NEW.phone OR OLD.time_zone IS NOT NEW.time_zone OR OLD.hours IS NOT NEW.hours
    OR OLD.states IS NOT NEW.states OR OLD.weight IS NOT NEW.weight OR OLD.priority IS NOT NEW.priority
    OR OLD.hourly_cap IS NOT NEW.hourly_cap OR OLD.daily_cap IS NOT NEW.daily_cap OR OLD.monthly_cap IS NOT NEW.monthly_cap
    OR OLD.concurrency_cap IS NOT NEW.concurrency_cap OR OLD.auto_pause_after IS NOT NEW.auto_pause_after OR OLD.status IS NOT NEW.status
BEGIN
    INSERT INTO config_changes (at, entity, entity_id, action, state) VALUES (NEW.updated_at, 'provider', NEW.id,
        CASE WHEN OLD.status IS NEW.status THEN 'updated' WHEN NEW.status = 'paused' THEN 'paused'
             WHEN NEW.status = 'active' THEN 'resumed' ELSE 'removed' END,
        json_object('name', NEW.name, 'phone', NEW.phone, 'time_zone', NEW.time_zone, 'hours', NEW.hours, 'states', NEW.states,
            'weight', NEW.weight, 'priority', NEW.priority, 'hourly_cap', NEW.hourly_cap, 'daily_cap', NEW.daily_cap,
            'monthly_cap', NEW.monthly_cap, 'concurrency_cap', NEW.concurrency_cap, 'auto_pause_after', NEW.auto_pause_after,
            'status', NEW.status));
END;

-- A helpline's snapshot includes its members ('all', or the ids in order).
CREATE VIEW helpline_states AS
SELECT h.id, h.updated_at, json_object('number', h.number, 'name', h.name, 'strategy', h.strategy,
    'members', CASE WHEN h.all_providers = 1 THEN 'all' ELSE coalesce((SELECT group_concat(provider_id, ',') FROM
        (SELECT provider_id FROM helpline_members m WHERE m.helpline_id = h.id ORDER BY provider_id)), '') END,
    'repeat_window_days', h.repeat_window_days, 'ring_timeout_s', h.ring_timeout_s, 'max_attempts', h.max_attempts) AS state
FROM helplines h;

CREATE TRIGGER history_helpline_insert AFTER INSERT ON helplines BEGIN
    INSERT INTO config_changes (at, entity, entity_id, action, state)
    SELECT updated_at, 'helpline', id, 'added', state FROM helpline_states WHERE id = NEW.id;
END;
CREATE TRIGGER history_helpline_update AFTER UPDATE ON helplines BEGIN
    INSERT INTO config_changes (at, entity, entity_id, action, state)
    SELECT updated_at, 'helpline', id, 'updated', state FROM helpline_states WHERE id = NEW.id;
END;
CREATE TRIGGER history_members_insert AFTER INSERT ON helpline_members BEGIN
    INSERT INTO config_changes (at, entity, entity_id, action, state)
    SELECT updated_at, 'helpline', id, 'updated', state FROM helpline_states WHERE id = NEW.helpline_id;
END;
CREATE TRIGGER history_members_delete AFTER DELETE ON helpline_members BEGIN
    INSERT INTO config_changes (at, entity, entity_id, action, state)
    SELECT updated_at, 'helpline', id, 'updated', state FROM helpline_states WHERE id = OLD.helpline_id;
END;

CREATE TRIGGER history_listing_insert AFTER INSERT ON listings BEGIN
    INSERT INTO config_changes (at, entity, entity_id, action, state) VALUES (NEW.created_at, 'listing', NEW.id, 'added',
        json_object('name', NEW.name, 'number', NEW.number, 'provider_id', NEW.provider_id, 'removed_at', NEW.removed_at));
END;
CREATE TRIGGER history_listing_update AFTER UPDATE ON listings BEGIN
    INSERT INTO config_changes (at, entity, entity_id, action, state) VALUES (coalesce(NEW.removed_at, NEW.created_at), 'listing', NEW.id,
        CASE WHEN NEW.removed_at IS NOT NULL AND OLD.removed_at IS NULL THEN 'removed' ELSE 'updated' END,
        json_object('name', NEW.name, 'number', NEW.number, 'provider_id', NEW.provider_id, 'removed_at', NEW.removed_at));
END;

CREATE TRIGGER history_terms_insert AFTER INSERT ON terms_versions BEGIN
    INSERT INTO config_changes (at, entity, entity_id, action, state) VALUES (NEW.published_at, 'terms', NEW.version, 'published',
        json_object('sha256', NEW.sha256, 'effective_at', NEW.effective_at));
END;

-- What existed before this migration, as the history's first rows.
INSERT INTO config_changes (at, entity, entity_id, action, state, source)
SELECT updated_at, 'provider', id, 'added', json_object('name', name, 'phone', phone, 'time_zone', time_zone, 'hours', hours,
    'states', states, 'weight', weight, 'priority', priority, 'hourly_cap', hourly_cap, 'daily_cap', daily_cap,
    'monthly_cap', monthly_cap, 'concurrency_cap', concurrency_cap, 'auto_pause_after', auto_pause_after, 'status', status),
    'migration 0006 (state when the history began)'
FROM providers ORDER BY id;
INSERT INTO config_changes (at, entity, entity_id, action, state, source)
SELECT updated_at, 'helpline', id, 'added', state, 'migration 0006 (state when the history began)' FROM helpline_states ORDER BY id;
INSERT INTO config_changes (at, entity, entity_id, action, state, source)
SELECT coalesce(removed_at, created_at), 'listing', id, CASE WHEN removed_at IS NULL THEN 'added' ELSE 'removed' END,
    json_object('name', name, 'number', number, 'provider_id', provider_id, 'removed_at', removed_at),
    'migration 0006 (state when the history began)'
FROM listings ORDER BY id;
INSERT INTO config_changes (at, entity, entity_id, action, state, source)
SELECT published_at, 'terms', version, 'published', json_object('sha256', sha256, 'effective_at', effective_at),
    'migration 0006 (state when the history began)'
FROM terms_versions ORDER BY version;
