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
