"""PostgreSQL: `audit_append_many(...)`, a batch of one chain's events in ONE round trip.

The same compare-and-append protocol as `audit_append` (audit/append_sql.py), for a run of
consecutive events on one chain (a page of `disclosure` events). The application builds every
row itself, each linked to the one before it, starting from the head it expects; the function
takes one array per column, locks the chain head (`SELECT ... FOR UPDATE`, held until the
caller's transaction commits) and compares it with the first row:

* head is at (seq - 1, prev_hash) of the first row: it checks that the rows are one chain in
  order (consecutive seq, each prev_hash the hash before it) and every `hash = SHA-256(prev ||
  canonical)`, inserts them all in order and moves the head once to the last; returns their ids.
* head is elsewhere: it inserts nothing and returns the current head with `out_ids = NULL`.
  The lock stays held, so the caller's second attempt, rebuilt for that head, cannot lose again.

A malformed batch (gaps, another chain, a wrong hash) raises, like a wrong hash in
`audit_append`. It first runs `SET CONSTRAINTS ALL IMMEDIATE`, for the lock order reason
given there. The columns come from the model through `append_sql.columns()`: a migration that
changes `AuditEvent`'s columns rebuilds this function as well as `audit_append`.
"""

from __future__ import annotations

from audit.append_sql import columns

NAME = "audit_append_many"


def create_function() -> str:
    cols = columns()
    params = ", ".join(f"p_{c} {t}[]" for c, t in cols)
    names = ", ".join(c for c, _ in cols)
    arrays = ", ".join(f"p_{c}" for c, _ in cols)
    unnested = ", ".join(f"u_{c}" for c, _ in cols)
    return f"""
CREATE OR REPLACE FUNCTION {NAME}({params})
RETURNS TABLE (out_ids bigint[], out_seq bigint, out_hash text)
LANGUAGE plpgsql AS $$
DECLARE
  v_seq bigint; v_prev text; v_ids bigint[]; v_n integer; v_chain text;
BEGIN
  SET CONSTRAINTS ALL IMMEDIATE;  -- see audit_append: the chain lock is the last lock taken
  v_n := coalesce(array_length(p_seq, 1), 0);
  IF v_n = 0 THEN
    RAISE EXCEPTION '{NAME}: no events';
  END IF;
  v_chain := p_chain[1];
  SELECT h.seq, h.hash INTO v_seq, v_prev FROM audit_chainhead h
    WHERE h.chain = v_chain FOR UPDATE;
  IF NOT FOUND THEN
    INSERT INTO audit_chainhead (chain, seq, hash) VALUES (v_chain, 0, repeat('0', 64))
      ON CONFLICT DO NOTHING;
    SELECT h.seq, h.hash INTO v_seq, v_prev FROM audit_chainhead h
      WHERE h.chain = v_chain FOR UPDATE;
  END IF;
  IF v_seq <> p_seq[1] - 1 OR v_prev <> p_prev_hash[1] THEN
    RETURN QUERY SELECT NULL::bigint[], v_seq, v_prev;  -- not the head: rebuild and call again
    RETURN;
  END IF;
  FOR i IN 1..v_n LOOP
    IF p_chain[i] IS DISTINCT FROM v_chain OR p_seq[i] <> v_seq + i
       OR (i > 1 AND p_prev_hash[i] IS DISTINCT FROM p_hash[i - 1]) THEN
      RAISE EXCEPTION '{NAME}: the events are not one chain in order';
    END IF;
    IF encode(sha256(decode(p_prev_hash[i], 'hex') || p_canonical[i]), 'hex')
       IS DISTINCT FROM p_hash[i] THEN
      RAISE EXCEPTION '{NAME}: a hash does not match its canonical bytes';
    END IF;
  END LOOP;
  WITH inserted AS (
    INSERT INTO audit_auditevent ({names})
    SELECT {unnested} FROM unnest({arrays}) WITH ORDINALITY AS u({unnested}, u_ord)
    ORDER BY u_ord
    RETURNING id
  )
  SELECT array_agg(id ORDER BY id) INTO v_ids FROM inserted;
  UPDATE audit_chainhead SET seq = p_seq[v_n], hash = p_hash[v_n] WHERE chain = v_chain;
  RETURN QUERY SELECT v_ids, p_seq[v_n], p_hash[v_n];
END;
$$;
"""  # noqa: S608 (built from the model's column names only)


DROP_FUNCTION = f"DROP FUNCTION IF EXISTS {NAME}"


def call_sql() -> str:
    """One array parameter per column, cast to the column's type (psycopg2 sends text[])."""
    casts = ", ".join(f"%s::{t}[]" for _c, t in columns())
    return f"SELECT out_ids, out_seq, out_hash FROM {NAME}({casts})"  # noqa: S608
