"""PostgreSQL: `audit_append(...)` takes the chain lock, links, hashes, inserts and moves the head
in ONE round trip (the head row stays locked until the caller's transaction commits).

It first runs `SET CONSTRAINTS ALL IMMEDIATE`: Django's foreign keys are DEFERRABLE INITIALLY
DEFERRED, so without it their row locks would be taken at COMMIT, after the chain lock, and a
transaction holding a referenced row FOR UPDATE while waiting for the chain could deadlock with
one holding the chain (tests/reliability/test_lock_order.py).

Python sends the canonical record with two placeholders, `"seq":"@@SEQ@@"` and
`"prev_hash":"@@PREV@@"`; the function substitutes the reserved values. The patterns cannot
occur inside a JSON string value (every quote there is escaped), so only the keys match.
"""

from __future__ import annotations

SEQ_MARK = "@@SEQ@@"
PREV_MARK = "@@PREV@@"
COLUMNS = (
    "event_id", "chain", "occurred_at", "actor_kind", "actor_id", "actor_agency_id", "actor_role",
    "auth_method", "action", "object_type", "object_id", "subject_ref", "target_agency_id",
    "purpose", "consent_id", "categories", "outcome", "reason", "request_id", "route", "ip",
    "user_agent", "subject_agency_id", "shared_agency_id",
)  # fmt: skip

_TYPES = {
    "event_id": "uuid", "occurred_at": "timestamptz", "actor_agency_id": "uuid",
    "target_agency_id": "uuid", "consent_id": "uuid", "categories": "jsonb",
    "subject_agency_id": "uuid", "shared_agency_id": "uuid",
}  # fmt: skip


def fill(template: str, seq: int, prev_hash: str) -> str:
    """The same substitution in Python (tests, SQLite fallback)."""
    return template.replace(f'"prev_hash":"{PREV_MARK}"', f'"prev_hash":"{prev_hash}"').replace(
        f'"seq":"{SEQ_MARK}"', f'"seq":{seq}'
    )


def _params() -> str:
    return ", ".join(f"p_{c} {_TYPES.get(c, 'text')}" for c in COLUMNS)


CREATE_FUNCTION = f"""
CREATE OR REPLACE FUNCTION audit_append(p_template text, {_params()})
RETURNS TABLE (out_id bigint, out_seq bigint, out_prev text, out_hash text)
LANGUAGE plpgsql AS $$
DECLARE
  v_seq bigint; v_prev text; v_canon bytea; v_hash text; v_id bigint;
BEGIN
  -- Check deferred foreign keys now, so their KEY SHARE locks are taken before the chain lock
  -- and the chain lock is the last lock the transaction takes (no lock-order deadlocks).
  SET CONSTRAINTS ALL IMMEDIATE;
  UPDATE audit_chainhead h SET seq = h.seq + 1 WHERE h.chain = p_chain
    RETURNING h.seq, h.hash INTO v_seq, v_prev;
  IF NOT FOUND THEN
    INSERT INTO audit_chainhead (chain, seq, hash) VALUES (p_chain, 0, repeat('0', 64))
      ON CONFLICT DO NOTHING;
    UPDATE audit_chainhead h SET seq = h.seq + 1 WHERE h.chain = p_chain
      RETURNING h.seq, h.hash INTO v_seq, v_prev;
  END IF;
  v_canon := convert_to(replace(replace(p_template,
      '"prev_hash":"{PREV_MARK}"', '"prev_hash":"' || v_prev || '"'),
      '"seq":"{SEQ_MARK}"', '"seq":' || v_seq), 'UTF8');
  v_hash := encode(sha256(decode(v_prev, 'hex') || v_canon), 'hex');
  INSERT INTO audit_auditevent ({", ".join(COLUMNS)}, seq, prev_hash, hash, canonical)
    VALUES ({", ".join("p_" + c for c in COLUMNS)}, v_seq, v_prev, v_hash, v_canon)
    RETURNING id INTO v_id;
  UPDATE audit_chainhead SET hash = v_hash WHERE chain = p_chain;
  RETURN QUERY SELECT v_id, v_seq, v_prev, v_hash;
END;
$$;
"""  # noqa: S608 (built from the constants above only)

DROP_FUNCTION = "DROP FUNCTION IF EXISTS audit_append"

_PLACEHOLDERS = ", ".join(["%s"] * (len(COLUMNS) + 1))
CALL = f"SELECT out_id, out_seq, out_prev, out_hash FROM audit_append({_PLACEHOLDERS})"  # noqa: S608
