"""Each event a compliance officer reads says whether it is what the system wrote (`intact`).

Attack first: an edit of a served column (as the database superuser, triggers bypassed) or a
hash-consistent event forged without the audit key was listed by `GET /api/v1/audit/events`
and the console's event list exactly like a genuine one; only a separate verification run
found it. Now the row's MAC is checked over the values being shown, where they are read.
"""

from __future__ import annotations

import base64
import uuid

import pytest

from audit import mac
from audit.models import AuditEvent
from audit.selectors import audit_event_list_for
from audit.services import audit_record
from tests.audit.tamper import as_superuser, forge_append
from tests.conftest import actor
from tests.factories import UserFactory

EVENTS = "/api/v1/audit/events"


@pytest.fixture
def chain(alice):  # type: ignore[no-untyped-def]
    for n in range(3):
        audit_record(
            actor=actor(alice),
            action="client.read",
            target=("clients.client", uuid.uuid4()),
            subject_id=uuid.uuid4(),
            target_agency_id=alice.agency_id,
            categories=["identity"],
            reason=f"step{n}",
        )
    return str(alice.agency_id)


def _listed(api, erin) -> dict[int, bool]:  # type: ignore[no-untyped-def]
    body = api(erin).get(EVENTS).json()
    return {e["seq"]: e["intact"] for e in body["results"] if e["action"] == "client.read"}


def test_untouched_events_are_listed_as_intact(api, erin, chain):
    assert _listed(api, erin) == {1: True, 2: True, 3: True}


def test_an_edited_column_is_flagged_where_it_is_read(api, erin, chain):
    row = AuditEvent.objects.get(chain=chain, seq=2)
    as_superuser("UPDATE audit_auditevent SET outcome = 'deny' WHERE id = %s", [row.id])
    assert _listed(api, erin) == {1: True, 2: False, 3: True}


def test_a_forged_event_is_flagged(api, erin, alice, chain):
    forged = forge_append(actor=actor(alice), action="client.read", reason="forged")
    listed = {e["seq"]: e["intact"] for e in api(erin).get(EVENTS).json()["results"]}
    assert listed[forged.seq] is False and listed[3] is True


def test_a_mac_that_is_not_even_ascii_is_flagged_not_a_crash(api, erin, chain):
    row = AuditEvent.objects.get(chain=chain, seq=1)
    as_superuser("UPDATE audit_auditevent SET mac = %s WHERE id = %s", ["é" * 64, row.id])
    assert _listed(api, erin)[1] is False


def test_events_under_a_retired_key_stay_intact(erin, chain, settings):
    """After a MAC key rotation the old events verify under the retired key."""
    old = mac.keys()[0]
    settings.AUDIT_MAC_KEY = base64.b64encode(b"n" * 32).decode()
    settings.AUDIT_MAC_RETIRED_KEYS = base64.b64encode(old).decode()
    shown = list(audit_event_list_for(actor=actor(erin)))
    assert shown and all(e.intact for e in shown)


def test_the_recipients_officer_sees_the_shared_events_intact_under_its_own_pseudonym(
    api, safehouse, dave, referral
):
    """The viewer's pseudonym replaces the stored one only after the check."""
    sofia = UserFactory(username="sofia", agency=safehouse, role="compliance_officer")
    api(dave).get(f"/api/v1/referrals/{referral['id']}")  # a read of the shared referral
    body = api(sofia).get(EVENTS).json()["results"]
    about = [e for e in body if e["subject_ref"]]
    assert about and all(e["intact"] for e in about)
    stored = set(AuditEvent.objects.values_list("subject_ref", flat=True))
    assert not {e["subject_ref"] for e in about} & (stored - {""})


def test_the_console_marks_an_altered_event(console, erin, chain):
    row = AuditEvent.objects.get(chain=chain, seq=3)
    as_superuser("UPDATE audit_auditevent SET reason = 'rewritten' WHERE id = %s", [row.id])
    page = console(erin).get("/app/audit/")
    text = page.content.decode()
    assert page.status_code == 200
    assert text.count(">Altered<") == 1
    assert "1 event on this page was changed after the system wrote it" in text
