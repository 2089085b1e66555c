-- 0011: offers ringing per provider, read from one row per provider.
--
-- Under 0009 a route summed `ringing_by_second` over every second still ahead (a row per provider
-- and second: a thousand rows for 50 providers and a 20 s ring) and read the attempts whose
-- deadline falls in the current second (a quarter of a second of offers on average: more than a
-- thousand index entries at 5,000 calls a second). Both grow with the call rate; together they
-- were a third of a route's time at that rate.
--
-- Now every offer ringing is in `ringing_deadlines` under its exact deadline until a route retires
-- it, and `ringing_totals` holds each provider's sum of those rows. A route first retires every
-- deadline that has come (usually the few rows since the previous route) and then reads the totals:
-- offers ringing at that instant, exact to the millisecond, whatever the rate or the ring timeout.
-- `ringing_horizon.retired_through` is the latest instant retired through. A call dated before it
-- (a backfill) is counted from the attempts instead, as is a call dated before the latest offer.
-- Triggers keep all three equal to the attempts, whoever writes them; `helpline doctor` recounts.
DROP TRIGGER ringing_by_second_insert;
DROP TRIGGER ringing_by_second_leave;
DROP TRIGGER ringing_by_second_enter;
DROP TRIGGER ringing_by_second_delete;
DROP TABLE ringing_by_second;

CREATE TABLE ringing_horizon (
    id               INTEGER PRIMARY KEY CHECK (id = 1),
    retired_through  INTEGER NOT NULL    -- epoch ms: no row of ringing_deadlines has a deadline at or before it
);
-- Starts at the latest offer: the offers that rang out before it (every one whose events were lost,
-- over the database's whole history) are retired at once here, not by the first route. A call
-- dated before it counts from the attempts, as it would have anyway (an offer is dated after it).
INSERT INTO ringing_horizon (id, retired_through) VALUES (1, coalesce((SELECT max(offered_at) FROM attempts), 0));

CREATE TABLE ringing_deadlines (
    deadline     INTEGER NOT NULL,       -- attempts.ring_deadline, epoch ms
    provider_id  INTEGER NOT NULL,
    n            INTEGER NOT NULL CHECK (n > 0),
    PRIMARY KEY (deadline, provider_id)
) WITHOUT ROWID;

CREATE TABLE ringing_totals (
    provider_id  INTEGER PRIMARY KEY,
    n            INTEGER NOT NULL CHECK (n >= 0)
);

-- The totals follow the deadlines' rows, whatever changes them (an offer, an event, a retirement).
CREATE TRIGGER ringing_totals_insert AFTER INSERT ON ringing_deadlines BEGIN
    INSERT INTO ringing_totals (provider_id, n) VALUES (NEW.provider_id, NEW.n)
        ON CONFLICT (provider_id) DO UPDATE SET n = n + excluded.n;
END;
CREATE TRIGGER ringing_totals_update AFTER UPDATE OF n ON ringing_deadlines BEGIN
    UPDATE ringing_totals SET n = n + NEW.n - OLD.n WHERE provider_id = NEW.provider_id;
END;
CREATE TRIGGER ringing_totals_delete AFTER DELETE ON ringing_deadlines BEGIN
    UPDATE ringing_totals SET n = n - OLD.n WHERE provider_id = OLD.provider_id;
END;

-- The deadlines follow the attempts. An offer whose deadline is already retired is not ringing for
-- any instant the totals answer for, so it is not added.
CREATE TRIGGER ringing_deadlines_insert AFTER INSERT ON attempts
WHEN NEW.outcome IS NULL AND NEW.ended_at IS NULL AND NEW.ring_deadline > (SELECT retired_through FROM ringing_horizon WHERE id = 1)
BEGIN
    INSERT INTO ringing_deadlines (deadline, provider_id, n) VALUES (NEW.ring_deadline, NEW.provider_id, 1)
        ON CONFLICT (deadline, provider_id) DO UPDATE SET n = n + 1;
END;
CREATE TRIGGER ringing_deadlines_leave AFTER UPDATE OF outcome, ended_at, ring_deadline, provider_id ON attempts
WHEN OLD.outcome IS NULL AND OLD.ended_at IS NULL BEGIN
    DELETE FROM ringing_deadlines WHERE deadline = OLD.ring_deadline AND provider_id = OLD.provider_id AND n = 1;
    UPDATE ringing_deadlines SET n = n - 1 WHERE deadline = OLD.ring_deadline AND provider_id = OLD.provider_id;
END;
CREATE TRIGGER ringing_deadlines_enter AFTER UPDATE OF outcome, ended_at, ring_deadline, provider_id ON attempts
WHEN NEW.outcome IS NULL AND NEW.ended_at IS NULL AND NEW.ring_deadline > (SELECT retired_through FROM ringing_horizon WHERE id = 1)
BEGIN
    INSERT INTO ringing_deadlines (deadline, provider_id, n) VALUES (NEW.ring_deadline, NEW.provider_id, 1)
        ON CONFLICT (deadline, provider_id) DO UPDATE SET n = n + 1;
END;
CREATE TRIGGER ringing_deadlines_delete AFTER DELETE ON attempts WHEN OLD.outcome IS NULL AND OLD.ended_at IS NULL BEGIN
    DELETE FROM ringing_deadlines WHERE deadline = OLD.ring_deadline AND provider_id = OLD.provider_id AND n = 1;
    UPDATE ringing_deadlines SET n = n - 1 WHERE deadline = OLD.ring_deadline AND provider_id = OLD.provider_id;
END;

INSERT INTO ringing_deadlines (deadline, provider_id, n)
    SELECT ring_deadline, provider_id, count(*) FROM attempts
    WHERE outcome IS NULL AND ended_at IS NULL AND ring_deadline > (SELECT retired_through FROM ringing_horizon WHERE id = 1)
    GROUP BY 1, 2;
