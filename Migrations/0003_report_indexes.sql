-- 0003: indexes the reports read through, so a day's report stays fast on years of history.

-- Per-provider offers of a day, and answer times.
CREATE INDEX attempts_offered ON attempts (offered_at);
-- Callbacks requested on a day already use callbacks_requested; decisions use routing_decisions_decided.
