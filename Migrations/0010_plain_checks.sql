-- 0010: CHECK constraints that build no temporary table.
--
-- SQLite evaluates `x IN ('a', 'b', 'c')` (three or more constants) by filling an ephemeral b-tree
-- with the list, once per statement run: a pager, a page-cache allocation and its page faults on
-- every insert and update of a call, an attempt, a decision, a consent record or a callback. That
-- was the largest single cost of routing a call under load. `x = 'a' OR x = 'b' OR x = 'c'` accepts
-- and refuses exactly the same values (NULL included: both are NULL, which a CHECK lets through)
-- and compiles to plain comparisons.
--
-- Only the text of each CHECK changes, so this follows SQLite's documented procedure for changing
-- constraints without rebuilding a table: no row is rewritten, and every stored row satisfied the
-- old form, hence the new one. `writable_schema = RESET` makes this connection parse the new
-- schema at once; the migrator then bumps `schema_version`, so other open connections reparse too.
PRAGMA writable_schema = ON;
UPDATE sqlite_master SET sql = replace(sql,
        'status IN (''active'', ''paused'', ''removed'')',
        '(status = ''active'' OR status = ''paused'' OR status = ''removed'')')
    WHERE type = 'table' AND name = 'providers';
UPDATE sqlite_master SET sql = replace(sql,
        'strategy IN (''weighted-round-robin'', ''least-recent'', ''fewest-calls'', ''weighted-random'')',
        '(strategy = ''weighted-round-robin'' OR strategy = ''least-recent'' OR strategy = ''fewest-calls'' OR strategy = ''weighted-random'')')
    WHERE type = 'table' AND name = 'helplines';
UPDATE sqlite_master SET sql = replace(sql,
        'event IN (''added'', ''paused'', ''resumed'', ''removed'', ''auto-paused'')',
        '(event = ''added'' OR event = ''paused'' OR event = ''resumed'' OR event = ''removed'' OR event = ''auto-paused'')')
    WHERE type = 'table' AND name = 'provider_events';
UPDATE sqlite_master SET sql = replace(replace(replace(sql,
        'kind IN (''direct'', ''pool'', ''unroutable'')',
        '(kind = ''direct'' OR kind = ''pool'' OR kind = ''unroutable'')'),
        'status IN (''ringing'', ''connected'', ''ended'', ''callback'', ''unroutable'')',
        '(status = ''ringing'' OR status = ''connected'' OR status = ''ended'' OR status = ''callback'' OR status = ''unroutable'')'),
        'caller_kind IN (''number'', ''international'', ''withheld'')',
        '(caller_kind = ''number'' OR caller_kind = ''international'' OR caller_kind = ''withheld'')')
    WHERE type = 'table' AND name = 'calls';
UPDATE sqlite_master SET sql = replace(sql,
        'outcome IN (''answered'', ''no-answer'', ''busy'', ''failed'')',
        '(outcome = ''answered'' OR outcome = ''no-answer'' OR outcome = ''busy'' OR outcome = ''failed'')')
    WHERE type = 'table' AND name = 'attempts';
UPDATE sqlite_master SET sql = replace(replace(sql,
        'reason IN (''no-eligible-provider'', ''no-answer'', ''caller-hung-up'', ''web-form'')',
        '(reason = ''no-eligible-provider'' OR reason = ''no-answer'' OR reason = ''caller-hung-up'' OR reason = ''web-form'')'),
        'status IN (''pending'', ''returned'', ''abandoned'', ''revoked'')',
        '(status = ''pending'' OR status = ''returned'' OR status = ''abandoned'' OR status = ''revoked'')')
    WHERE type = 'table' AND name = 'callbacks';
UPDATE sqlite_master SET sql = replace(sql,
        'mechanism IN (''call'', ''web-form'', ''operator'')',
        '(mechanism = ''call'' OR mechanism = ''web-form'' OR mechanism = ''operator'')')
    WHERE type = 'table' AND name = 'consent_records';
UPDATE sqlite_master SET sql = replace(sql,
        'entity IN (''provider'', ''helpline'', ''listing'', ''terms'')',
        '(entity = ''provider'' OR entity = ''helpline'' OR entity = ''listing'' OR entity = ''terms'')')
    WHERE type = 'table' AND name = 'config_changes';
UPDATE sqlite_master SET sql = replace(replace(sql,
        'kind IN (''direct'', ''pool'', ''unroutable'')',
        '(kind = ''direct'' OR kind = ''pool'' OR kind = ''unroutable'')'),
        'outcome IN (''offer'', ''callback'', ''unroutable'')',
        '(outcome = ''offer'' OR outcome = ''callback'' OR outcome = ''unroutable'')')
    WHERE type = 'table' AND name = 'routing_decisions';

PRAGMA writable_schema = RESET;
