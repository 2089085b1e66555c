-- 0009: what telephony needs to ring a provider and to give up on time.
--
-- providers.sip_uri: where a SIP proxy rings the provider (`sip:` or `sips:`); without one, offers
-- ring its E.164 phone. listings.ring_timeout_s: how long a listing's call rings its center before
-- the center owes a callback (a general number keeps its own helplines.ring_timeout_s).
ALTER TABLE providers ADD COLUMN sip_uri TEXT
    CHECK (sip_uri IS NULL OR (length(sip_uri) BETWEEN 5 AND 256 AND (sip_uri LIKE 'sip:%' OR sip_uri LIKE 'sips:%')));
ALTER TABLE listings ADD COLUMN ring_timeout_s INTEGER NOT NULL DEFAULT 20 CHECK (ring_timeout_s BETWEEN 1 AND 600);

-- The configuration history records the new settings too.
DROP TRIGGER history_provider_insert;
DROP TRIGGER history_provider_update;
DROP TRIGGER history_listing_insert;
DROP TRIGGER history_listing_update;

CREATE TRIGGER history_provider_insert AFTER INSERT ON providers BEGIN
    INSERT INTO config_changes (at, entity, entity_id, action, state) VALUES (NEW.updated_at, 'provider', NEW.id, 'added',
        json_object('name', NEW.name, 'phone', NEW.phone, 'time_zone', NEW.time_zone, 'hours', NEW.hours, 'states', NEW.states,
            'weight', NEW.weight, 'priority', NEW.priority, 'hourly_cap', NEW.hourly_cap, 'daily_cap', NEW.daily_cap,
            'monthly_cap', NEW.monthly_cap, 'concurrency_cap', NEW.concurrency_cap, 'auto_pause_after', NEW.auto_pause_after,
            'status', NEW.status, 'sip_uri', NEW.sip_uri));
END;
CREATE TRIGGER history_provider_update AFTER UPDATE ON providers
WHEN OLD.name IS NOT NEW.name OR OLD.phone IS NOT NEW.phone OR OLD.time_zone IS NOT NEW.time_zone OR OLD.hours IS NOT NEW.hours
    OR OLD.states IS NOT NEW.states OR OLD.weight IS NOT NEW.weight OR OLD.priority IS NOT NEW.priority
    OR OLD.hourly_cap IS NOT NEW.hourly_cap OR OLD.daily_cap IS NOT NEW.daily_cap OR OLD.monthly_cap IS NOT NEW.monthly_cap
    OR OLD.concurrency_cap IS NOT NEW.concurrency_cap OR OLD.auto_pause_after IS NOT NEW.auto_pause_after OR OLD.status IS NOT NEW.status
    OR OLD.sip_uri IS NOT NEW.sip_uri
BEGIN
    INSERT INTO config_changes (at, entity, entity_id, action, state) VALUES (NEW.updated_at, 'provider', NEW.id,
        CASE WHEN OLD.status IS NEW.status THEN 'updated' WHEN NEW.status = 'paused' THEN 'paused'
             WHEN NEW.status = 'active' THEN 'resumed' ELSE 'removed' END,
        json_object('name', NEW.name, 'phone', NEW.phone, 'time_zone', NEW.time_zone, 'hours', NEW.hours, 'states', NEW.states,
            'weight', NEW.weight, 'priority', NEW.priority, 'hourly_cap', NEW.hourly_cap, 'daily_cap', NEW.daily_cap,
            'monthly_cap', NEW.monthly_cap, 'concurrency_cap', NEW.concurrency_cap, 'auto_pause_after', NEW.auto_pause_after,
            'status', NEW.status, 'sip_uri', NEW.sip_uri));
END;
CREATE TRIGGER history_listing_insert AFTER INSERT ON listings BEGIN
    INSERT INTO config_changes (at, entity, entity_id, action, state) VALUES (NEW.created_at, 'listing', NEW.id, 'added',
        json_object('name', NEW.name, 'number', NEW.number, 'provider_id', NEW.provider_id, 'removed_at', NEW.removed_at,
            'ring_timeout_s', NEW.ring_timeout_s));
END;
CREATE TRIGGER history_listing_update AFTER UPDATE ON listings BEGIN
    INSERT INTO config_changes (at, entity, entity_id, action, state) VALUES (
        -- A listing has no updated_at: a change other than its removal is dated by the database's clock.
        CASE WHEN NEW.removed_at IS NOT NULL AND OLD.removed_at IS NULL THEN NEW.removed_at
             ELSE CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER) END, 'listing', NEW.id,
        CASE WHEN NEW.removed_at IS NOT NULL AND OLD.removed_at IS NULL THEN 'removed' ELSE 'updated' END,
        json_object('name', NEW.name, 'number', NEW.number, 'provider_id', NEW.provider_id, 'removed_at', NEW.removed_at,
            'ring_timeout_s', NEW.ring_timeout_s));
END;

-- Concurrency is counted on every route from the offers still ringing and the calls still connected.
-- With the provider and offer time in the index entries, the count reads the index alone, never
-- the table: under a load of thousands of calls ringing at once, that is most of a route's time.
DROP INDEX attempts_ringing;
DROP INDEX attempts_connected;
CREATE INDEX attempts_ringing ON attempts (ring_deadline, provider_id, offered_at) WHERE outcome IS NULL AND ended_at IS NULL;
CREATE INDEX attempts_connected ON attempts (answered_at, provider_id) WHERE outcome = 'answered' AND ended_at IS NULL;

-- ringing_by_second: how many offers each provider has ringing, by the second their ring deadline
-- falls in. Concurrency is read from here (a few rows per provider) instead of from every offer
-- still ringing, which under thousands of calls a second is tens of thousands of rows per route.
-- Triggers keep it equal to the attempts, whoever writes them; `helpline doctor` recounts it.
CREATE TABLE ringing_by_second (
    provider_id  INTEGER NOT NULL,
    deadline_s   INTEGER NOT NULL,   -- attempts.ring_deadline / 1000
    n            INTEGER NOT NULL CHECK (n > 0),
    PRIMARY KEY (provider_id, deadline_s)
) WITHOUT ROWID;
INSERT INTO ringing_by_second (provider_id, deadline_s, n)
    SELECT provider_id, ring_deadline / 1000, count(*) FROM attempts WHERE outcome IS NULL AND ended_at IS NULL GROUP BY 1, 2;

CREATE TRIGGER ringing_by_second_insert AFTER INSERT ON attempts WHEN NEW.outcome IS NULL AND NEW.ended_at IS NULL BEGIN
    INSERT INTO ringing_by_second (provider_id, deadline_s, n) VALUES (NEW.provider_id, NEW.ring_deadline / 1000, 1)
        ON CONFLICT (provider_id, deadline_s) DO UPDATE SET n = n + 1;
END;
CREATE TRIGGER ringing_by_second_leave AFTER UPDATE OF outcome, ended_at, ring_deadline, provider_id ON attempts
WHEN OLD.outcome IS NULL AND OLD.ended_at IS NULL BEGIN
    DELETE FROM ringing_by_second WHERE provider_id = OLD.provider_id AND deadline_s = OLD.ring_deadline / 1000 AND n = 1;
    UPDATE ringing_by_second SET n = n - 1 WHERE provider_id = OLD.provider_id AND deadline_s = OLD.ring_deadline / 1000;
END;
CREATE TRIGGER ringing_by_second_enter AFTER UPDATE OF outcome, ended_at, ring_deadline, provider_id ON attempts
WHEN NEW.outcome IS NULL AND NEW.ended_at IS NULL BEGIN
    INSERT INTO ringing_by_second (provider_id, deadline_s, n) VALUES (NEW.provider_id, NEW.ring_deadline / 1000, 1)
        ON CONFLICT (provider_id, deadline_s) DO UPDATE SET n = n + 1;
END;
CREATE TRIGGER ringing_by_second_delete AFTER DELETE ON attempts WHEN OLD.outcome IS NULL AND OLD.ended_at IS NULL BEGIN
    DELETE FROM ringing_by_second WHERE provider_id = OLD.provider_id AND deadline_s = OLD.ring_deadline / 1000 AND n = 1;
    UPDATE ringing_by_second SET n = n - 1 WHERE provider_id = OLD.provider_id AND deadline_s = OLD.ring_deadline / 1000;
END;

-- The repeat-caller lookup wants the caller's latest answered call. Over calls_repeat it read every
-- call of the caller in the window from the table: a number that calls thousands of times (a
-- robocaller flooding the line) made each of its routes slower than the last. This index holds
-- answered calls only, and the provider, so the lookup is one index probe.
CREATE INDEX calls_repeat_answered ON calls (caller_sha256, helpline_id, received_at, answered_provider_id)
    WHERE answered_provider_id IS NOT NULL;
