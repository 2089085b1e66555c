-- 0004: every caller is routed and logged, including those without a North American number.
--   number         a NANP number: its state is known or looked up, it can be called back, and a
--                  repeat call may go back to the same provider
--   international  an E.164 number outside +1: logged, no state, never sticky, no callback owed
--   withheld       anonymous, private or not a number at all (calls.caller is ''): logged, no
--                  state, never sticky, no callback owed; caller_sha256 is of a random value, so
--                  withheld calls are never linked to each other
-- An unanswered call whose caller can't be called back ends with status 'ended' and no answer;
-- reports count it as unreturnable, and as not responded in the response rate.
ALTER TABLE calls ADD COLUMN caller_kind TEXT NOT NULL DEFAULT 'number'
    CHECK (caller_kind IN ('number', 'international', 'withheld'));
