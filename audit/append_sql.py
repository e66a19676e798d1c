"""PostgreSQL: `audit_append(...)`, a compare-and-append in ONE round trip.

The application builds the whole row itself (seq, prev_hash, canonical bytes, hash and the
per-event MAC of audit/mac.py, whose key the database never sees) for the chain head it
expects: after the last event its process stored on that chain (audit/turns.py). The
function locks the chain head (`SELECT ... FOR UPDATE`, held until the caller's transaction
commits) and compares:

* head is at (seq - 1, prev_hash): it checks `hash = SHA-256(prev || canonical)`, inserts the
  row and moves the head; returns the new id.
* head is elsewhere (another process appended, or the expected event was rolled back): it
  inserts nothing and returns the current head with `out_id = NULL`. The lock stays held, so the
  caller's second attempt, built for that head, cannot lose again.

It first runs `SET CONSTRAINTS ALL IMMEDIATE`: Django's foreign keys are DEFERRABLE INITIALLY
DEFERRED, so without it their row locks would be taken at COMMIT, after the chain lock, and a
transaction holding a referenced row FOR UPDATE while waiting for the chain could deadlock with
one holding the chain (tests/reliability/test_lock_order.py).

The column list comes from the model (every concrete column but `id`), so a field added to
`AuditEvent` is passed without editing this file.
"""

from __future__ import annotations

from functools import cache

_SQL_TYPES = {
    "UUIDField": "uuid",
    "DateTimeField": "timestamptz",
    "JSONField": "jsonb",
    "BigIntegerField": "bigint",
    "IntegerField": "integer",
    "BinaryField": "bytea",
}
_ORDER_LAST = ("seq", "prev_hash", "hash", "mac", "canonical")


@cache
def columns() -> tuple[tuple[str, str], ...]:
    """(column, SQL type) of every column the function inserts, in a fixed order."""
    from audit.models import AuditEvent

    fields = [f for f in AuditEvent._meta.concrete_fields if f.column != "id"]
    cols = [
        (str(f.column), _SQL_TYPES.get(f.get_internal_type(), "text"))
        for f in fields
        if f.column not in _ORDER_LAST
    ]
    by_name = {str(f.column): _SQL_TYPES.get(f.get_internal_type(), "text") for f in fields}
    return tuple(cols) + tuple((c, by_name[c]) for c in _ORDER_LAST)


def column_names() -> tuple[str, ...]:
    return tuple(c for c, _ in columns())


def create_function() -> str:
    cols = columns()
    params = ", ".join(f"p_{c} {t}" for c, t in cols)
    names = ", ".join(c for c, _ in cols)
    values = ", ".join(f"p_{c}" for c, _ in cols)
    return f"""
CREATE OR REPLACE FUNCTION audit_append({params})
RETURNS TABLE (out_id bigint, out_seq bigint, out_hash text)
LANGUAGE plpgsql AS $$
DECLARE
  v_seq bigint; v_prev text; v_id bigint;
BEGIN
  -- Check deferred foreign keys now, so their KEY SHARE locks are taken before the chain lock
  -- and the chain lock is the last lock the transaction takes (no lock-order deadlocks).
  SET CONSTRAINTS ALL IMMEDIATE;
  SELECT h.seq, h.hash INTO v_seq, v_prev FROM audit_chainhead h
    WHERE h.chain = p_chain FOR UPDATE;
  IF NOT FOUND THEN
    INSERT INTO audit_chainhead (chain, seq, hash) VALUES (p_chain, 0, repeat('0', 64))
      ON CONFLICT DO NOTHING;
    SELECT h.seq, h.hash INTO v_seq, v_prev FROM audit_chainhead h
      WHERE h.chain = p_chain FOR UPDATE;
  END IF;
  IF v_seq <> p_seq - 1 OR v_prev <> p_prev_hash THEN
    RETURN QUERY SELECT NULL::bigint, v_seq, v_prev;  -- not the head: rebuild and call again
    RETURN;
  END IF;
  IF encode(sha256(decode(p_prev_hash, 'hex') || p_canonical), 'hex') <> p_hash THEN
    RAISE EXCEPTION 'audit_append: the hash does not match the canonical bytes';
  END IF;
  INSERT INTO audit_auditevent ({names}) VALUES ({values}) RETURNING id INTO v_id;
  UPDATE audit_chainhead SET seq = p_seq, hash = p_hash WHERE chain = p_chain;
  RETURN QUERY SELECT v_id, p_seq, p_hash;
END;
$$;
"""  # noqa: S608 (built from the model's column names only)


DROP_FUNCTION = "DROP FUNCTION IF EXISTS audit_append"


def call_sql() -> str:
    placeholders = ", ".join(["%s"] * len(columns()))
    return f"SELECT out_id, out_seq, out_hash FROM audit_append({placeholders})"  # noqa: S608


def __getattr__(name: str) -> str:
    """`CREATE_FUNCTION` / `CALL`, built from the model when first asked (migrations use them)."""
    if name == "CREATE_FUNCTION":
        return create_function()
    if name == "CALL":
        return call_sql()
    raise AttributeError(name)
