-- 0013: connected calls whose end event never came.
--
-- A connected call stops counting toward its provider's concurrency after the maximum call
-- length, but its row stayed `connected` for ever: `purge` keeps the number of a live call, so a
-- lost `ended` event kept a caller's number indefinitely. The sweep now ends such a call at its
-- answer time plus the maximum call length, and says so here, so that nobody reads the assumed
-- end as a measured one. A late `ended` event replaces the assumption with the real time.
ALTER TABLE calls ADD COLUMN end_assumed INTEGER NOT NULL DEFAULT 0 CHECK (end_assumed = 0 OR end_assumed = 1);
INSERT INTO audit_rules (topic, rule) VALUES
('assumed ends', 'calls.end_assumed = 1 marks an end telephony never reported: the sweep ended a call still connected a maximum call length (2 hours by default) after answered_at, at answered_at plus that length. Durations of such calls are not measurements. A late ended event sets the real ended_at and end_assumed = 0.');
