-- 0003: indexes the reports read through, so a day's report stays fast on years of history.

-- Per-provider offers of a day, their outcomes and answer times, read from the index alone.
CREATE INDEX attempts_offered ON attempts (offered_at, provider_id, outcome, answered_at);
-- Callbacks requested on a day already use callbacks_requested; decisions use routing_decisions_decided.
