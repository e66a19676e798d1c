"""Owner visibility (issue 13 item 4): who sees which event, and whose pseudonym.

Eastside (alice, its compliance officer erin) owns Ana. Alice sends Safe Harbor (dave; its
officer sofia) a referral, keeps a draft to Safe Harbor, grants Safe Harbor a consent and has a
referral refused. Dave reads, accepts and messages the sent referral. Carol (Harbor; its officer
hugo) probes Ana and the referral. Attack first: before the owner fields, erin saw none of
dave's or carol's events about Ana, and sofia saw alice's grant and refusal naming Safe Harbor.
"""

from __future__ import annotations

import json
import uuid
from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from audit.models import AuditEvent
from audit.pseudonym import subject_ref
from audit.selectors import audit_event_list_for
from audit.services import audit_record
from audit.stats import disclosures_per_recipient
from tests.conftest import actor
from tests.factories import UserFactory
from tests.referrals.conftest import referral_body

EVENTS = "/api/v1/audit/events/"


@pytest.fixture
def sofia(safehouse):  # type: ignore[no-untyped-def]
    return UserFactory(username="sofia", agency=safehouse, role="compliance_officer")


@pytest.fixture
def hugo(harbor):  # type: ignore[no-untyped-def]
    return UserFactory(username="hugo", agency=harbor, role="compliance_officer")


def _grant(api, alice, ana, safehouse) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    body = {
        "recipient_agency_id": str(safehouse.id),
        "categories": ["identity"],
        "purpose": "housing",
        "expires_at": (timezone.now() + timedelta(days=30)).isoformat(),
        "method": "written",
        "signed_by": "client",
        "informed": True,
    }
    response = api(alice).post(f"/api/v1/clients/{ana.id}/consents/", body, format="json")
    assert response.status_code == 201, response.content
    return response.json()


@pytest.fixture
def story(api, alice, dave, carol, ana, ana_consent, safehouse, send):  # type: ignore[no-untyped-def]
    """Every event of the matrix, by name -> its event_id."""
    rid = send()["id"]
    named: dict[str, Any] = {"referral.create": _last("referral.create", alice)}
    draft = send(draft=True)["id"]
    named["draft.create"] = _last("referral.create", alice)
    assert draft != rid
    _grant(api, alice, ana, safehouse)
    named["consent.grant"] = _last("consent.grant", alice)
    refused = api(alice).post(
        "/api/v1/referrals/",
        referral_body(ana, safehouse, ana_consent, service_type="family_law"),  # purpose misfit
        format="json",
    )
    assert refused.status_code in (409, 422), refused.content
    named["referral.refused"] = _last("referral.create", alice, outcome="deny")

    assert api(dave).get(f"/api/v1/referrals/{rid}/").status_code == 200
    named["disclosure"] = _last("disclosure", dave)
    to = {"to": "accepted"}
    moved = api(dave).post(f"/api/v1/referrals/{rid}/transitions", to, format="json")
    assert moved.status_code == 200, moved.content
    named["transition"] = _last("referral.transition", dave)
    said = api(dave).post(f"/api/v1/referrals/{rid}/messages/", {"body": "hello"}, format="json")
    assert said.status_code == 201, said.content
    named["message"] = _last("referral.message", dave)

    assert api(carol).get(f"/api/v1/referrals/{rid}/").status_code == 404
    named["probe.referral"] = _last("authz.denied", carol, outcome="deny")
    assert api(carol).get(f"/api/v1/clients/{ana.id}/").status_code == 404
    named["probe.client"] = _last("authz.denied", carol, outcome="deny")
    named["rid"] = rid
    return named


def _last(action: str, who: Any, outcome: str = "allow") -> str:
    event = (
        AuditEvent.objects.filter(action=action, actor_id=str(who.id), outcome=outcome)
        .order_by("-id")
        .first()
    )
    assert event is not None, (action, who)
    return str(event.event_id)


def _seen(api, officer) -> dict[str, dict[str, Any]]:  # type: ignore[no-untyped-def]
    """{event_id: event} of every page the officer's events list serves."""
    seen: dict[str, dict[str, Any]] = {}
    url: str | None = EVENTS + "?page_size=200"
    while url:
        body = api(officer).get(url).json()
        seen.update({e["event_id"]: e for e in body["results"]})
        url = body["next"]
    return seen


ALL = (
    "referral.create",
    "draft.create",
    "consent.grant",
    "referral.refused",
    "disclosure",
    "transition",
    "message",
    "probe.referral",
    "probe.client",
)
MATRIX = {
    # the owner: everything about its client and its referrals, by any agency, refusals too
    "erin": set(ALL),
    # the recipient: its own acts and what concerns the referral actually sent to it
    "sofia": {"referral.create", "disclosure", "transition", "message"},
    # a third agency: only its own staff's refused probes
    "hugo": {"probe.referral", "probe.client"},
}


@pytest.mark.parametrize("officer", sorted(MATRIX))
def test_who_sees_which_event(request, api, story, officer):
    seen = _seen(api, request.getfixturevalue(officer))
    shown = {name for name in ALL if story[name] in seen}
    assert shown == MATRIX[officer]


def test_an_audit_read_integration_sees_what_its_officer_sees(
    api, make_integration, eastside, erin, story
):  # type: ignore[no-untyped-def]
    reader = make_integration(eastside, scopes=["audit:read"])
    assert set(_seen(api, reader)) == set(_seen(api, erin))


def test_the_owner_sees_the_recipients_read_with_who_read_it(
    api, erin, dave, ana, safehouse, story
):  # type: ignore[no-untyped-def]
    read = _seen(api, erin)[story["disclosure"]]
    assert read["actor_agency_id"] == str(safehouse.id) and read["actor_id"] == str(dave.id)
    assert read["chain"] == str(safehouse.id)
    assert read["subject_agency_id"] == str(ana.agency_id)
    assert read["shared_agency_id"] == str(safehouse.id)
    assert read["target_agency_id"] == str(safehouse.id)
    assert read["categories"] == ["contact", "identity"]
    about_ana = api(erin).get(EVENTS, {"client": str(ana.id), "action": "disclosure"}).json()
    assert [e["event_id"] for e in about_ana["results"]] == [story["disclosure"]]


def test_the_owner_export_holds_the_recipients_read(api, erin, ana, safehouse, story):  # type: ignore[no-untyped-def]
    export = api(erin).post("/api/v1/audit/exports", {}, format="json")
    assert export.status_code == 200
    lines = [json.loads(line) for line in export.content.splitlines()]
    foreign = {
        json.loads(line["canonical"])["event_id"]: json.loads(line["canonical"])
        for line in lines
        if line.get("set") == "targeting"
    }
    read = foreign[story["disclosure"]]
    assert read["actor_agency_id"] == str(safehouse.id)
    assert read["subject_agency_id"] == str(ana.agency_id)
    assert {story[n] for n in ("transition", "message", "probe.client")} <= set(foreign)


def test_the_recipient_export_holds_no_sender_grant_draft_or_refusal(api, sofia, story):  # type: ignore[no-untyped-def]
    export = api(sofia).post("/api/v1/audit/exports", {}, format="json")
    ids = {
        json.loads(json.loads(line)["canonical"])["event_id"]
        for line in export.content.splitlines()
        if json.loads(line).get("type") == "event"
    }
    assert story["referral.create"] in ids and story["disclosure"] in ids
    for hidden in ("draft.create", "consent.grant", "referral.refused", "probe.referral"):
        assert story[hidden] not in ids, hidden


def test_pseudonyms_are_per_agency(api, erin, sofia, hugo, ana, story):  # type: ignore[no-untyped-def]
    by = {name: _seen(api, who) for name, who in (("erin", erin), ("sofia", sofia), ("hugo", hugo))}
    stored = subject_ref(ana.id, agency_id=ana.agency_id)
    owner_refs = {by["erin"][story[n]]["subject_ref"] for n in ALL}
    assert owner_refs == {stored}  # the owner: one value for Ana, the one that was hashed
    shared = ("referral.create", "disclosure", "transition", "message")
    recipient_refs = {by["sofia"][story[n]]["subject_ref"] for n in shared}
    third_refs = {by["hugo"][story[n]]["subject_ref"] for n in ("probe.referral", "probe.client")}
    assert len(recipient_refs) == 1 and len(third_refs) == 1  # still linkable within one agency
    assert len(owner_refs | recipient_refs | third_refs) == 3  # never across agencies
    assert str(ana.id) not in json.dumps(by["sofia"][story["disclosure"]])


def test_each_agency_filters_by_client_id_and_gets_its_own_events(api, sofia, hugo, ana, story):  # type: ignore[no-untyped-def]
    mine = api(sofia).get(EVENTS, {"client": str(ana.id)}).json()["results"]
    assert {e["event_id"] for e in mine} >= {story["disclosure"], story["transition"]}
    assert story["consent.grant"] not in {e["event_id"] for e in mine}
    probes = api(hugo).get(EVENTS, {"client": str(ana.id)}).json()["results"]
    assert {e["event_id"] for e in probes} == {story["probe.referral"], story["probe.client"]}


def test_disclosure_counts_are_the_owners(erin, sofia, safehouse, story):  # type: ignore[no-untyped-def]
    since, until = timezone.now() - timedelta(days=1), timezone.now() + timedelta(days=1)
    assert disclosures_per_recipient(actor=actor(erin), since=since, until=until) == {
        safehouse.id: 1
    }
    assert disclosures_per_recipient(actor=actor(sofia), since=since, until=until) == {}


def test_the_console_events_screen_shows_the_owner_view(console, erin, sofia, ana, story):  # type: ignore[no-untyped-def]
    stored = subject_ref(ana.id, agency_id=ana.agency_id)
    owner_page = console(erin).get("/app/audit/?action=disclosure").content.decode()
    assert "Safe Harbor Housing" in owner_page and stored[:10] in owner_page
    recipient_page = console(sofia).get("/app/audit/?action=disclosure").content.decode()
    assert "disclosure" in recipient_page and stored[:10] not in recipient_page


# --- the rules themselves (audit/owner.py), one event each ------------------------------------


def _record(who: Any, **fields: Any) -> AuditEvent:
    event = audit_record(actor=actor(who), action="test.owner", **fields)
    return AuditEvent.objects.get(pk=event.pk)


def test_a_draft_is_the_senders_alone_until_sent(alice, dave, ana, ana_consent, send):  # type: ignore[no-untyped-def]
    from referrals.models import Referral

    draft = Referral.objects.get(pk=send(draft=True)["id"])
    event = _record(alice, target=draft)
    assert (event.subject_agency_id, event.shared_agency_id) == (ana.agency_id, None)
    draft.status = "requested"
    event = _record(alice, target=draft)
    assert event.shared_agency_id == draft.recipient_agency_id


def test_refusals_are_shared_only_with_the_recipient_that_was_refused(alice, dave, ana, referral):  # type: ignore[no-untyped-def]
    from referrals.models import Referral

    sent = Referral.objects.get(pk=referral["id"])
    by_sender = _record(alice, target=sent, outcome="deny")
    by_recipient = _record(dave, target=sent, outcome="deny")
    assert by_sender.shared_agency_id is None
    assert by_recipient.shared_agency_id == sent.recipient_agency_id


def test_owners_of_other_targets(alice, carol, dave, ana, safehouse, harbor, make_consent):  # type: ignore[no-untyped-def]
    consent = make_consent(ana, safehouse)
    grant = _record(alice, target=consent, target_agency_id=safehouse.id)
    assert (grant.subject_agency_id, grant.shared_agency_id) == (ana.agency_id, None)
    assert grant.subject_ref == subject_ref(ana.id, agency_id=ana.agency_id)  # from the consent
    user = _record(alice, target=carol)
    assert user.subject_agency_id == harbor.id  # a row of one agency
    account = _record(alice, target=("accounts.tokenfamily", 1), target_agency_id=harbor.id)
    assert account.subject_agency_id == harbor.id  # no client data: the agency it names
    ghost = _record(alice, target=("referral", uuid.uuid4()), target_agency_id=harbor.id)
    assert ghost.subject_agency_id is None  # a referral that does not exist names nobody's data
    bogus = _record(alice, target=("client", "not-a-uuid"))
    assert bogus.subject_agency_id is None
    by_id = _record(dave, target=("client", ana.id), outcome="deny")
    assert by_id.subject_agency_id == ana.agency_id and by_id.subject_ref


def test_the_owner_fields_are_hashed(alice, ana):  # type: ignore[no-untyped-def]
    event = _record(alice, target=ana)
    canonical = json.loads(bytes(event.canonical))
    assert canonical["subject_agency_id"] == str(ana.agency_id)
    assert canonical["shared_agency_id"] is None


def test_an_event_on_no_agencys_data_is_its_actors_only(alice, erin, dave):  # type: ignore[no-untyped-def]
    event = _record(dave)
    assert event.subject_agency_id is None
    assert not audit_event_list_for(actor=actor(erin)).filter(pk=event.pk).exists()


def test_the_data_owning_apps_register_their_owner_rules():
    from audit.owner import owners_registered

    names = set(owners_registered())
    assert {"clients.client", "client", "consent.consent", "consent"} <= names
    assert {"referrals.referral", "referral", "referrals.referralmessage"} <= names
