-- 0012: drop an index nothing reads any more.
--
-- `calls_repeat (caller_sha256, helpline_id, received_at)` served the repeat-caller lookup until
-- 0009 gave that lookup `calls_repeat_answered`. No query has used it since, yet every route still
-- inserted into it, and a caller hash is random: each call dirtied a page of its own in it (4 KB of
-- write-ahead log, written again by the checkpoint), about a fifth of what a routed call writes.
DROP INDEX calls_repeat;
