"""Objects that could make the verifier's own statements lie (PostgreSQL).

PostgreSQL resolves a function or operator by name along the search path and prefers the best
match of argument types wherever it lives: a `public.concat_ws(text, varchar, ...)` with the
exact types of the column digest's arguments is chosen over the built-in
`concat_ws(text, VARIADIC "any")`. Anyone who may create objects in a schema of the path (the
schema's owner, the migration role) could so make the digest of an edited row come out as the
original's. Verification's own SQL names every function and operator by its schema
(`pg_catalog.`, `OPERATOR(pg_catalog.=)`: audit/mac.py, audit/verify_rows.py) so an overload
elsewhere is never used; this check goes further and refuses to vouch for a database where one
exists at all, because the rest of the application's queries (the ORM's) are not qualified.

Out of reach, as the compromised application server is (docs/security.md): a superuser who
rewrites a built-in's own catalog row (`pg_proc.prosrc`) or the server's binaries. That is
changing the database engine; nothing the engine computes can then be trusted, including a
digest computed in Python from values it returns.

A shadow is a function, aggregate or operator that PostgreSQL did not ship (an object id of
16384, `FirstNormalObjectId`, or above: created after initdb, by anyone, in any schema,
`pg_catalog` included, where a superuser may add an exact-match overload that even a qualified
call would choose) and that is not part of an installed extension, with the name of a built-in
one; or a table or view with the name of an
audit table in another schema than the one verification reads (with its own search path, the
API's role would be shown that one while verification checks the real rows). The query below
qualifies everything it calls for the same reason.
"""

from __future__ import annotations

from django.db import connection

from audit.hardening import APPEND_ONLY, HEAD_TABLE

AUDIT_TABLES = (*APPEND_ONLY, HEAD_TABLE)

_SHADOWS = """
SELECT 'function ' OPERATOR(pg_catalog.||) n.nspname OPERATOR(pg_catalog.||) '.'
       OPERATOR(pg_catalog.||) p.proname OPERATOR(pg_catalog.||) '('
       OPERATOR(pg_catalog.||) pg_catalog.oidvectortypes(p.proargtypes)
       OPERATOR(pg_catalog.||) ')'
FROM pg_catalog.pg_proc p
JOIN pg_catalog.pg_namespace n ON n.oid OPERATOR(pg_catalog.=) p.pronamespace
WHERE p.oid OPERATOR(pg_catalog.>=) 16384
  AND p.proname OPERATOR(pg_catalog.=) ANY (
      SELECT b.proname FROM pg_catalog.pg_proc b WHERE b.oid OPERATOR(pg_catalog.<) 16384)
  AND NOT EXISTS (
      SELECT 1 FROM pg_catalog.pg_depend d
      WHERE d.classid OPERATOR(pg_catalog.=) 'pg_catalog.pg_proc'::pg_catalog.regclass
        AND d.objid OPERATOR(pg_catalog.=) p.oid AND d.deptype OPERATOR(pg_catalog.=) 'e')
UNION ALL
SELECT 'operator ' OPERATOR(pg_catalog.||) n.nspname OPERATOR(pg_catalog.||) '.'
       OPERATOR(pg_catalog.||) o.oprname OPERATOR(pg_catalog.||) '('
       OPERATOR(pg_catalog.||) pg_catalog.format_type(o.oprleft, NULL)
       OPERATOR(pg_catalog.||) ', '
       OPERATOR(pg_catalog.||) pg_catalog.format_type(o.oprright, NULL)
       OPERATOR(pg_catalog.||) ')'
FROM pg_catalog.pg_operator o
JOIN pg_catalog.pg_namespace n ON n.oid OPERATOR(pg_catalog.=) o.oprnamespace
WHERE o.oid OPERATOR(pg_catalog.>=) 16384
  AND o.oprname OPERATOR(pg_catalog.=) ANY (
      SELECT b.oprname FROM pg_catalog.pg_operator b WHERE b.oid OPERATOR(pg_catalog.<) 16384)
  AND NOT EXISTS (
      SELECT 1 FROM pg_catalog.pg_depend d
      WHERE d.classid OPERATOR(pg_catalog.=) 'pg_catalog.pg_operator'::pg_catalog.regclass
        AND d.objid OPERATOR(pg_catalog.=) o.oid AND d.deptype OPERATOR(pg_catalog.=) 'e')
UNION ALL
SELECT 'relation ' OPERATOR(pg_catalog.||) n.nspname OPERATOR(pg_catalog.||) '.'
       OPERATOR(pg_catalog.||) c.relname
FROM pg_catalog.pg_class c
JOIN pg_catalog.pg_namespace n ON n.oid OPERATOR(pg_catalog.=) c.relnamespace
WHERE c.relname OPERATOR(pg_catalog.=) ANY (%s)
  AND n.nspname OPERATOR(pg_catalog.<>) pg_catalog.current_schema()
  AND n.nspname OPERATOR(pg_catalog.<>) ALL (ARRAY['pg_catalog', 'information_schema'])
  AND NOT n.nspname OPERATOR(pg_catalog.~~) 'pg\\_%%'
ORDER BY 1
"""


def shadowing_objects() -> list[str]:
    """Each function or operator that shadows a built-in, e.g. `function public.concat_ws(...)`;
    [] on SQLite (which resolves no names along a path)."""
    if connection.vendor != "postgresql":
        return []
    with connection.cursor() as cursor:
        cursor.execute(_SHADOWS, [list(AUDIT_TABLES)])
        return [row[0] for row in cursor.fetchall()]


def refusal(found: list[str]) -> str:
    """The reason a chain is reported unverified while `found` exist."""
    shown = "; ".join(found[:3]) + ("; ..." if len(found) > 3 else "")
    return (
        f"a built-in is shadowed by {shown}: the chain cannot be trusted to verify while "
        "that exists in the database (ask the database owner to drop it and find out "
        'who created it; docs/operations.md, "Audit hardening")'
    )
