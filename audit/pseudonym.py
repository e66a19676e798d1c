"""`subject_ref`: keyed pseudonyms of a client id that survive crypto-shredding, per agency.

Two levels, both HMAC-SHA-256 under `AUDIT_PSEUDONYM_KEY` (never in the database):

* **stored** (`subject_ref`, hashed into the event): `HMAC(key, "subject|<owner>|<client>")`,
  where `<owner>` is the client's agency (the event's `subject_agency_id`). It is the pseudonym
  the OWNER sees, so the owner's events list, filters and exports all show the same value.
* **shown to another agency** (`viewer_ref`): `HMAC(key, "view|<viewer agency>|<stored>")`,
  computed at read time. A recipient (or an agency whose staff probed the client) gets a value
  of its own: two agencies comparing their views cannot tell that they saw the same client, and
  nobody can compute another agency's value without the key.

Filtering by client id works for every viewer: the selector computes the stored value from the
id and the client's agency (`subject_refs`, which also gives the earlier global form); a shown
value is never parsed back. Exports are the exception: an
export carries the exact hashed bytes, so an export of another agency's events about your
client holds the owner's stored pseudonym (docs/compliance-guide.md, "Reading the owner view").
"""

from __future__ import annotations

import hashlib
import hmac
import uuid

from django.conf import settings


def _mac(message: str) -> str:
    key = settings.AUDIT_PSEUDONYM_KEY.encode()
    return hmac.new(key, message.encode(), hashlib.sha256).hexdigest()


def subject_ref(client_id: uuid.UUID | str | None, *, agency_id: uuid.UUID | str | None) -> str:
    """The stored pseudonym of `client_id`, a client of `agency_id` (its owner); "" for none."""
    if client_id is None or client_id == "":
        return ""
    return _mac(f"subject|{agency_id or '-'}|{client_id}")


def subject_refs(client_id: uuid.UUID | str, *, agency_id: uuid.UUID | str | None) -> list[str]:
    """Every stored form of the pseudonym, for look-ups: the per-owner one, and the global
    `HMAC(key, client id)` of events recorded before the owner fields (migration audit/0007),
    so the accounting of disclosures keeps covering the whole retention."""
    return [subject_ref(client_id, agency_id=agency_id), _mac(str(client_id))]


def viewer_ref(
    stored: str, *, subject_agency_id: uuid.UUID | None, viewer_agency_id: uuid.UUID | None
) -> str:
    """What `viewer_agency_id` is shown for a stored pseudonym: itself for the owner, else the
    viewer's own keyed derivation (unlinkable across agencies)."""
    if not stored:
        return ""
    if viewer_agency_id is not None and viewer_agency_id == subject_agency_id:
        return stored
    return _mac(f"view|{viewer_agency_id or '-'}|{stored}")
