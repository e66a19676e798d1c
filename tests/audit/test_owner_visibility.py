"""Owner visibility (issue 13 item 4): who sees which event, and whose pseudonym.

Eastside (alice, its compliance officer erin) owns Ana. Alice sends Safe Harbor (dave; its
officer sofia) a referral, keeps a draft to Safe Harbor, grants Safe Harbor a consent and has a
referral refused. Dave reads, accepts and messages the sent referral. Alice also refers Ana to
Harbor (carol; its officer hugo), which reads it; carol then probes Ana's client record and the
Safe Harbor referral. Attack first: before the owner fields, erin saw none of dave's or carol's
events about Ana, sofia saw alice's grant and refusal naming Safe Harbor, and sofia and hugo
were shown the same pseudonym for Ana.
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

EVENTS = "/api/v1/audit/events"


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
    response = api(alice).post(f"/api/v1/clients/{ana.id}/consents", body, format="json")
    assert response.status_code == 201, response.content
    return response.json()


@pytest.fixture
def story(api, alice, dave, carol, ana, ana_consent, safehouse, harbor, send, make_consent):  # type: ignore[no-untyped-def]
    """Every event of the matrix, by name -> its event_id."""
    rid = send()["id"]
    named: dict[str, Any] = {"referral.create": _last("referral.create", alice)}
    draft = send(draft=True)["id"]
    named["draft.create"] = _last("referral.create", alice)
    assert draft != rid
    _grant(api, alice, ana, safehouse)
    named["consent.grant"] = _last("consent.grant", alice)
    refused = api(alice).post(
        "/api/v1/referrals",
        referral_body(ana, safehouse, ana_consent, service_type="family_law"),  # purpose misfit
        format="json",
    )
    assert refused.status_code in (409, 422), refused.content
    named["referral.refused"] = _last("referral.create", alice, outcome="deny")

    assert api(dave).get(f"/api/v1/referrals/{rid}").status_code == 200
    named["disclosure"] = _last("disclosure", dave)
    to = {"to": "accepted"}
    moved = api(dave).post(f"/api/v1/referrals/{rid}/transitions", to, format="json")
    assert moved.status_code == 200, moved.content
    named["transition"] = _last("referral.transition", dave)
    said = api(dave).post(f"/api/v1/referrals/{rid}/messages", {"body": "hello"}, format="json")
    assert said.status_code == 201, said.content
    named["message"] = _last("referral.message", dave)

    to_harbor = make_consent(ana, harbor, purpose="social_services")
    body = referral_body(ana, harbor, to_harbor, service_type="case_management")
    hid = api(alice).post("/api/v1/referrals", body, format="json").json()["id"]
    named["harbor.create"] = _last("referral.create", alice)
    assert api(carol).get(f"/api/v1/referrals/{hid}").status_code == 200
    named["harbor.disclosure"] = _last("disclosure", carol)

    for name, url in (
        ("probe.referral", f"referrals/{rid}"),
        ("probe.client", f"clients/{ana.id}"),
    ):
        assert api(carol).get(f"/api/v1/{url}").status_code == 404
        named[name] = _last("authz.denied", carol, outcome="deny", chain=str(carol.agency_id))
        named[f"{name}@owner"] = _last("authz.denied", carol, outcome="deny", chain="platform")
    named["rid"] = rid
    return named


def _last(action: str, who: Any, outcome: str = "allow", chain: str | None = None) -> str:
    rows = AuditEvent.objects.filter(action=action, actor_id=str(who.id), outcome=outcome)
    event = (rows.filter(chain=chain) if chain else rows).order_by("-id").first()
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
    "harbor.create",
    "harbor.disclosure",
    "probe.referral",
    "probe.referral@owner",
    "probe.client",
    "probe.client@owner",
)
PROBES = ("probe.referral", "probe.client")
MATRIX = {
    # the owner: everything about its client and its referrals, by any agency, refusals too
    # (a probe by another agency: the owner's copy, on the platform chain)
    "erin": {name for name in ALL if name not in PROBES},
    # a recipient: its own acts and what concerns the referral actually sent to it
    "sofia": {"referral.create", "disclosure", "transition", "message"},
    # another recipient: its referral, and its own staff's probes (naming no owner)
    "hugo": {"harbor.create", "harbor.disclosure", *PROBES},
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
    about_ana = api(erin).get(EVENTS, {"client_id": str(ana.id), "action": "disclosure"}).json()
    reads = [e["event_id"] for e in about_ana["results"]]
    assert reads == [story["harbor.disclosure"], story["disclosure"]]


def test_the_owner_export_holds_the_recipients_read(api, erin, ana, safehouse, story, tmp_path):  # type: ignore[no-untyped-def]
    export = api(erin).post("/api/v1/audit/exports", {}, format="json")
    assert export.status_code == 200
    assert _offline_verdict(export.content, tmp_path).startswith("VALID")
    lines = [json.loads(line) for line in export.content.splitlines()]
    foreign = {
        json.loads(line["canonical"])["event_id"]: json.loads(line["canonical"])
        for line in lines
        if line.get("set") == "targeting"
    }
    read = foreign[story["disclosure"]]
    assert read["actor_agency_id"] == str(safehouse.id)
    assert read["subject_agency_id"] == str(ana.agency_id)
    also = ("transition", "message", "harbor.disclosure", "probe.client@owner")
    assert {story[n] for n in also} <= set(foreign)
    assert story["probe.client"] not in foreign


def test_the_recipient_export_holds_no_sender_grant_draft_or_refusal(api, sofia, story, tmp_path):  # type: ignore[no-untyped-def]
    export = api(sofia).post("/api/v1/audit/exports", {}, format="json")
    assert _offline_verdict(export.content, tmp_path).startswith("VALID")
    ids = {
        json.loads(json.loads(line)["canonical"])["event_id"]
        for line in export.content.splitlines()
        if json.loads(line).get("type") == "event"
    }
    assert story["referral.create"] in ids and story["disclosure"] in ids
    for hidden in ("draft.create", "consent.grant", "referral.refused", "harbor.disclosure"):
        assert story[hidden] not in ids, hidden
    assert not {story[p] for p in PROBES} & ids and not {story[f"{p}@owner"] for p in PROBES} & ids


def test_a_probers_trail_names_no_owner_list_or_export(api, hugo, story):  # type: ignore[no-untyped-def]
    seen = _seen(api, hugo)
    export = api(hugo).post("/api/v1/audit/exports", {}, format="json")
    hashed = {
        json.loads(json.loads(line)["canonical"])["event_id"]: json.loads(
            json.loads(line)["canonical"]
        )
        for line in export.content.splitlines()
        if json.loads(line).get("type") == "event"
    }
    for name in PROBES:
        for event in (seen[story[name]], hashed[story[name]]):
            assert (event["subject_agency_id"], event["subject_ref"]) == (None, "")
            assert event["shared_agency_id"] is None


def _offline_verdict(body: bytes, tmp_path) -> str:  # type: ignore[no-untyped-def]
    """The standalone verifier's first line (audit/verify_export.py, no Django, no database)."""
    from audit import signing
    from audit.verify_export import load_public_key, verify_export

    export = tmp_path / "export.jsonl"
    export.write_bytes(body)
    return verify_export(export, load_public_key(signing.public_key_b64()))


def test_pseudonyms_are_per_agency(api, erin, sofia, hugo, ana, story):  # type: ignore[no-untyped-def]
    by = {name: _seen(api, who) for name, who in (("erin", erin), ("sofia", sofia), ("hugo", hugo))}
    stored = subject_ref(ana.id, agency_id=ana.agency_id)
    owner_refs = {by["erin"][story[n]]["subject_ref"] for n in MATRIX["erin"]}
    assert owner_refs == {stored}  # the owner: one value for Ana, the one that was hashed
    recipient_refs = {by["sofia"][story[n]]["subject_ref"] for n in MATRIX["sofia"]}
    other_refs = {
        by["hugo"][story[n]]["subject_ref"] for n in ("harbor.create", "harbor.disclosure")
    }
    assert len(recipient_refs) == 1 and len(other_refs) == 1  # still linkable within one agency
    assert len(owner_refs | recipient_refs | other_refs) == 3  # never across agencies
    assert str(ana.id) not in json.dumps(by["sofia"][story["disclosure"]])


def test_each_agency_filters_by_client_id_and_gets_its_own_events(api, sofia, hugo, ana, story):  # type: ignore[no-untyped-def]
    mine = api(sofia).get(EVENTS, {"client_id": str(ana.id)}).json()["results"]
    assert {e["event_id"] for e in mine} >= {story["disclosure"], story["transition"]}
    assert story["consent.grant"] not in {e["event_id"] for e in mine}
    theirs = api(hugo).get(EVENTS, {"client_id": str(ana.id)}).json()["results"]
    assert {e["event_id"] for e in theirs} == {story["harbor.create"], story["harbor.disclosure"]}


def test_disclosure_counts_are_the_owners(erin, sofia, safehouse, harbor, story):  # type: ignore[no-untyped-def]
    since, until = timezone.now() - timedelta(days=1), timezone.now() + timedelta(days=1)
    assert disclosures_per_recipient(actor=actor(erin), since=since, until=until) == {
        safehouse.id: 1,
        harbor.id: 1,
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
    assert (by_id.subject_agency_id, by_id.subject_ref) == (None, "")  # the prober's: no owner
    copy = AuditEvent.objects.get(
        chain="platform", request_id=by_id.request_id, action="test.owner"
    )
    assert copy.subject_agency_id == ana.agency_id and copy.subject_ref
    own = _record(alice, target=("client", ana.id), outcome="deny")
    assert own.subject_agency_id == ana.agency_id  # the owner's own refusal: one event


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


@pytest.mark.parametrize("column", ["subject_agency_id", "shared_agency_id"])
def test_an_edited_owner_column_is_found_at_its_seq(dave, harbor, referral, column):  # type: ignore[no-untyped-def]
    """Moving an event out of the owner's (or the recipient's) view is a tamper like any other."""
    from audit.verify import verify_chains
    from referrals.models import Referral
    from tests.audit.tamper import as_superuser

    event = _record(dave, target=Referral.objects.get(pk=referral["id"]))
    as_superuser(
        f"UPDATE audit_auditevent SET {column} = %s WHERE id = %s",  # noqa: S608 (test)
        [harbor.id.hex, event.pk],
    )
    report = verify_chains([event.chain])
    assert report.first_broken is not None
    assert (report.first_broken["chain"], report.first_broken["seq"]) == (event.chain, event.seq)
    assert column in report.first_broken["reason"]
