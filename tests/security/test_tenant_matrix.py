"""The cross-tenant and role matrix (OWASP API1 BOLA, API3 property level, API5 BFLA).

Generated from the URL resolver and the OpenAPI schema: every (route, method) must appear in
`TABLE` below, or `test_every_route_and_method_is_classified` fails, so a new route cannot ship
without saying who may call it. For each classified route and method, against agency A's real
objects (tests/security/world.py):

* anonymous -> 401;
* A's users whose role the route does not allow -> 403; A's integration without the scope -> 403;
* the same allowed roles (and an all-scope integration) at bystander agency C -> 404 for A's
  objects (DESIGN §2.1: never 403), indistinguishable from a random id; on agency-scoped
  collections they get their own (empty) data;
* the counter-party B, for A's objects B may not see (A's client, consents, webhooks, a draft
  referral) -> 404;
* no denied response body holds any of A's ids or survivor values;
* finally the allowed persona succeeds (2xx): the URL really named a live object.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, resolve
from drf_spectacular.generators import SchemaGenerator

from accounts.models import Integration, User
from core.roles import ALL_SCOPES, Role
from tests.conftest import PASSWORD
from tests.security.world import (
    ROLES,
    World,
    bearer,
    grant_body,
    integration,
    survivor_strings,
)

CW, SV, AD, CO = Role.CASEWORKER, Role.SUPERVISOR, Role.AGENCY_ADMIN, Role.COMPLIANCE_OFFICER
CASE = (CW, SV)
ANY_SCOPE = "*"  # any authenticated integration may call the route

Ids = dict[str, str]


@dataclass(frozen=True)
class Rule:
    """How a route is protected and how to call it on agency A's objects.

    kind: `open` (authenticates by its body), `self` (the caller's own account), `public`
    (directory data any authenticated caller may read), `collection` (agency-scoped list or
    create), `object` (the path names one of A's objects).
    """

    kind: str
    roles: tuple[str, ...] = ()
    scopes: tuple[str, ...] = ()  # any one of them lets an integration in
    kwargs: Callable[[Ids], dict[str, str]] = lambda i: {}
    body: Callable[[World, Ids], dict[str, Any] | None] = lambda w, i: None
    ok: tuple[str, str] | None = None  # (tenant, role or "full") that succeeds, called last
    counterparty: Callable[[Ids], Ids] | None = None  # ids B must get 404 on
    deny_other: int = 404
    public_parent: bool = False  # the path's parent is public (directory): no id oracle check


def same(i: Ids) -> Ids:
    return i


def draft(i: Ids) -> Ids:
    return {**i, "referral": i["draft"]}


def _client(i: Ids) -> dict[str, str]:
    return {"client_id": i["client"]}


def _referral(i: Ids) -> dict[str, str]:
    return {"referral_id": i["referral"]}


def _program(i: Ids) -> dict[str, str]:
    return {"program_id": i["program"]}


def _sub(i: Ids) -> dict[str, str]:
    return {"subscription_id": i["subscription"]}


def _identity(w: World, i: Ids) -> dict[str, Any]:
    from tests.security.world import CLIENT_VALUES

    ident = CLIENT_VALUES["identity"]
    return {k: ident[k] for k in ("given_name", "family_name", "date_of_birth")}


def _referral_create(w: World, i: Ids) -> dict[str, Any]:
    return {
        "client_id": i["client2"],
        "recipient_agency_id": str(w.b.agency.id),
        "consent_id": i["consent"],
        "service_type": "shelter",
        "reason": "a reason",
    }


def _reauth(w: World, i: Ids) -> dict[str, Any]:
    return {"password": PASSWORD, "otp": "000000"}


def _staff(**over: Any) -> Rule:
    """An object route on A's staff member (or integration), for A's agency admin only."""
    fields: dict[str, Any] = {
        "kwargs": lambda i: {"user_id": i["staff"]},
        "ok": ("a", AD),
        "counterparty": same,
    }
    return Rule("object", (AD,), **{**fields, **over})


REF_READ, REF_WRITE = ("referrals:read",), ("referrals:write",)
WEBHOOKS = ((AD,), ("webhooks:write",))
AUDIT = ((CO,), ("audit:read",))

TABLE: dict[tuple[str, str], Rule] = {
    # --- authentication: the body is the credential ----------------------------------------
    ("auth-token", "post"): Rule("open"),
    ("auth-token-refresh", "post"): Rule("open"),
    ("auth-token-revoke", "post"): Rule("open"),
    ("auth-client-token", "post"): Rule("open"),
    ("auth-password-set", "post"): Rule("open"),
    # --- your own account: MFA, sessions, password -----------------------------------------------
    ("auth-mfa", "get"): Rule("self", roles=ROLES, ok=("a", CW)),
    ("auth-mfa-enroll", "post"): Rule(
        "self", roles=ROLES, body=lambda w, i: {"password": PASSWORD}, ok=("a", CW)
    ),
    ("auth-mfa-confirm", "post"): Rule("self", roles=ROLES, body=lambda w, i: {"code": "000000"}),
    ("auth-mfa-replace", "post"): Rule("self", roles=ROLES, body=_reauth),
    ("auth-mfa-remove", "post"): Rule("self", roles=ROLES, body=_reauth),
    ("auth-mfa-recovery-codes", "post"): Rule(
        "self", roles=ROLES, body=lambda w, i: {"otp": "000000"}
    ),
    ("me", "get"): Rule("self", roles=ROLES, scopes=(ANY_SCOPE,), ok=("a", CW)),
    ("me-sessions", "get"): Rule("self", roles=ROLES, ok=("a", CW)),
    # Another user's session is 404 for everyone but its owner (A's other roles included).
    ("me-session-revoke", "post"): Rule(
        "object",
        roles=ROLES,
        kwargs=lambda i: {"family_id": i["own_family"]},
        ok=("a", CW),
        counterparty=same,
    ),
    ("me-password", "post"): Rule(
        "self",
        roles=ROLES,
        body=lambda w, i: {"current_password": PASSWORD, "new_password": "a-new-long-phrase-42"},
        ok=("a", CW),
    ),
    # --- the staff lifecycle (agency admins, own agency) ---------------------------------------
    ("staff-users", "get"): Rule("collection", (AD,), ok=("a", AD)),
    # C's admin invites the same username first (usernames are global), so the positive case
    # lives in tests/accounts/test_staff.py.
    ("staff-users", "post"): Rule(
        "collection",
        (AD,),
        body=lambda w, i: {"username": f"new-{uuid.uuid4().hex[:8]}", "role": "caseworker"},
    ),
    ("staff-user", "get"): _staff(),
    ("staff-user-deactivate", "post"): _staff(),
    ("staff-user-reactivate", "post"): _staff(),
    ("staff-user-role", "post"): _staff(body=lambda w, i: {"role": "supervisor"}),
    ("staff-user-reset-password", "post"): _staff(),
    ("staff-user-reset-mfa", "post"): _staff(),
    ("staff-user-sessions", "get"): _staff(),
    ("staff-user-session-revoke", "post"): _staff(
        kwargs=lambda i: {"user_id": i["staff"], "family_id": i["staff_family"]}
    ),
    ("staff-mfa-policy", "get"): Rule("collection", (AD,), ok=("a", AD)),
    ("staff-mfa-policy", "put"): Rule(
        "collection",
        (AD,),
        body=lambda w, i: {"mfa_optional": False, "password": PASSWORD},
        ok=("a", AD),
    ),
    ("staff-integrations", "get"): Rule("collection", (AD,), ok=("a", AD)),
    ("staff-integrations", "post"): Rule(
        "collection",
        (AD,),
        body=lambda w, i: {"name": "cms", "scopes": ["referrals:read"]},
        ok=("a", AD),
    ),
    ("staff-integration-rotate-secret", "post"): _staff(
        kwargs=lambda i: {"integration_id": i["integration"]}
    ),
    ("staff-integration-revoke", "post"): _staff(
        kwargs=lambda i: {"integration_id": i["integration"]}
    ),
    # --- directory ---------------------------------------------------------------------------
    ("agency-list", "get"): Rule("public", roles=ROLES, scopes=(ANY_SCOPE,), ok=("c", CW)),
    ("agency-detail", "get"): Rule(
        "public",
        roles=ROLES,
        scopes=(ANY_SCOPE,),
        kwargs=lambda i: {"agency_id": i["agency"]},
        ok=("c", CW),
    ),
    # Another agency's directory entry is public, so a foreign admin's write is a plain 403.
    ("program-create", "post"): Rule(
        "object",
        roles=(AD,),
        kwargs=lambda i: {"agency_id": i["agency"]},
        body=lambda w, i: {"name": f"Program {uuid.uuid4().hex[:6]}", "service_type": "shelter"},
        ok=("a", AD),
        deny_other=403,
        public_parent=True,
    ),
    ("program-update", "patch"): Rule(
        "object",
        roles=(AD,),
        kwargs=lambda i: {"agency_id": i["agency"], "program_id": i["program"]},
        body=lambda w, i: {"capacity_status": "waitlist"},
        ok=("a", AD),
        counterparty=same,
    ),
    ("program-list", "get"): Rule("public", roles=ROLES, scopes=(ANY_SCOPE,), ok=("c", CW)),
    ("service-types", "get"): Rule("public", roles=ROLES, scopes=(ANY_SCOPE,), ok=("c", CW)),
    ("directory-hsds", "get"): Rule("public", roles=ROLES, scopes=(ANY_SCOPE,), ok=("c", CW)),
    # Any program is public: the pre-check is for whoever sends referrals, at any agency.
    ("program-availability", "post"): Rule(
        "public",
        roles=CASE,
        scopes=REF_WRITE,
        kwargs=_program,
        body=lambda w, i: {"service_type": "family_law", "language": "es"},
        ok=("c", CW),
    ),
    ("program-capacity", "post"): Rule(
        "object",
        roles=(AD,),
        scopes=("directory:write",),
        kwargs=_program,
        body=lambda w, i: {"capacity_status": "waitlist"},
        ok=("a", AD),
        counterparty=same,
    ),
    ("program-assure", "post"): Rule(
        "object", roles=(AD,), kwargs=_program, ok=("a", AD), counterparty=same
    ),
    # --- reports -------------------------------------------------------------------------------
    ("report-referrals", "get"): Rule("collection", roles=(SV, AD, CO), ok=("a", CO)),
    # --- clients -----------------------------------------------------------------------------
    ("client-list", "get"): Rule("collection", CASE, ("clients:read",), ok=("a", CW)),
    ("client-list", "post"): Rule(
        "collection",
        CASE,
        ("clients:write",),
        body=lambda w, i: {"identity": {"given_name": "Other", "family_name": "Person"}},
        ok=("a", CW),
    ),
    ("client-search", "post"): Rule(
        "collection", CASE, ("clients:read",), body=_identity, ok=("a", CW)
    ),
    ("client-detail", "get"): Rule(
        "object", CASE, ("clients:read",), kwargs=_client, ok=("a", CW), counterparty=same
    ),
    ("client-detail", "patch"): Rule(
        "object",
        CASE,
        ("clients:write",),
        kwargs=_client,
        body=lambda w, i: {"demographics": {"household_size": 5}},
        ok=("a", CW),
        counterparty=same,
    ),
    ("client-erase", "post"): Rule(
        "object",
        (SV,),
        kwargs=_client,
        body=lambda w, i: {"confirm": True},
        ok=("a", SV),
        counterparty=same,
    ),
    ("client-disclosures", "get"): Rule(
        "object", (CW, SV, CO), ("audit:read",), kwargs=_client, ok=("a", CO), counterparty=same
    ),
    # --- consent -----------------------------------------------------------------------------
    ("consent-list", "get"): Rule(
        "object", CASE, ("clients:read",), kwargs=_client, ok=("a", CW), counterparty=same
    ),
    ("consent-list", "post"): Rule(
        "object",
        CASE,
        ("consent:write",),
        kwargs=_client,
        body=lambda w, i: grant_body(w.b.agency),
        ok=("a", CW),
        counterparty=same,
    ),
    # The recipient relying on the consent reads its metadata: B is a legitimate party here.
    ("consent-detail", "get"): Rule(
        "object",
        CASE,
        ("clients:read", "referrals:read", "consent:write"),
        kwargs=lambda i: {"consent_id": i["consent"]},
        ok=("b", CW),
    ),
    ("consent-revoke", "post"): Rule(
        "object",
        CASE,
        ("consent:write",),
        kwargs=lambda i: {"consent_id": i["consent"]},
        body=lambda w, i: {"reason": "client asked"},
        ok=("a", CW),
        counterparty=same,
    ),
    # --- referrals ---------------------------------------------------------------------------
    ("referral-list", "get"): Rule("collection", CASE, REF_READ, ok=("b", CW)),
    # A's second client has no consent to B: the create is refused, but for C the refusal
    # must look the same for A's real ids as for random ones.
    ("referral-list", "post"): Rule(
        "object", CASE, REF_WRITE, body=_referral_create, deny_other=400
    ),
    ("referral-detail", "get"): Rule(
        "object", CASE, REF_READ, kwargs=_referral, ok=("b", CW), counterparty=draft
    ),
    ("referral-transition", "post"): Rule(
        "object",
        CASE,
        REF_WRITE,
        kwargs=_referral,
        body=lambda w, i: {"to": "cancelled", "reason": "no longer needed"},
        ok=("a", CW),
        counterparty=draft,
    ),
    ("referral-assign", "post"): Rule(
        "object",
        (SV,),
        kwargs=_referral,
        body=lambda w, i: {"assignee_id": str(w.b.users[CW].id)},
        ok=("b", SV),
        counterparty=draft,
    ),
    # The sender attaches a consent (here the referral's own again: answered, no change); the
    # recipient is a party but not the sender (403), tested in tests/referrals/test_attach.py.
    ("referral-consent-attach", "post"): Rule(
        "object",
        CASE,
        REF_WRITE,
        kwargs=_referral,
        body=lambda w, i: {"consent_id": i["consent"]},
        ok=("a", CW),
        counterparty=draft,
    ),
    ("referral-history", "get"): Rule(
        "object", CASE, REF_READ, kwargs=_referral, ok=("b", CW), counterparty=draft
    ),
    ("referral-messages", "get"): Rule(
        "object", CASE, REF_READ, kwargs=_referral, ok=("b", CW), counterparty=draft
    ),
    ("referral-messages", "post"): Rule(
        "object",
        CASE,
        REF_WRITE,
        kwargs=_referral,
        body=lambda w, i: {"body": "see you Thursday"},
        ok=("b", CW),
        counterparty=draft,
    ),
    ("referral-fhir", "get"): Rule(
        "object", CASE, REF_READ, kwargs=_referral, ok=("b", CW), counterparty=draft
    ),
    # --- webhooks ----------------------------------------------------------------------------
    ("webhook-list", "get"): Rule("collection", *WEBHOOKS, ok=("a", AD)),
    ("webhook-list", "post"): Rule(
        "collection",
        *WEBHOOKS,
        body=lambda w, i: {"url": "http://127.0.0.1:9/other", "event_types": ["*"]},
        ok=("a", AD),
    ),
    ("webhook-detail", "get"): Rule(
        "object", *WEBHOOKS, kwargs=_sub, ok=("a", AD), counterparty=same
    ),
    ("webhook-detail", "patch"): Rule(
        "object",
        *WEBHOOKS,
        kwargs=_sub,
        body=lambda w, i: {"description": "changed"},
        ok=("a", AD),
        counterparty=same,
    ),
    ("webhook-detail", "delete"): Rule(
        "object", *WEBHOOKS, kwargs=_sub, ok=("a", AD), counterparty=same
    ),
    ("webhook-rotate-secret", "post"): Rule(
        "object", *WEBHOOKS, kwargs=_sub, ok=("a", AD), counterparty=same
    ),
    ("webhook-deliveries", "get"): Rule(
        "object", *WEBHOOKS, kwargs=_sub, ok=("a", AD), counterparty=same
    ),
    ("webhook-redeliver", "post"): Rule(
        "object",
        *WEBHOOKS,
        kwargs=lambda i: {"delivery_id": i["delivery"]},
        ok=("a", AD),
        counterparty=same,
    ),
    # --- audit -------------------------------------------------------------------------------
    ("audit-events", "get"): Rule("collection", *AUDIT, ok=("a", CO)),
    ("audit-verify", "get"): Rule("collection", *AUDIT, ok=("a", CO)),
    ("audit-exports", "post"): Rule("collection", *AUDIT, body=lambda w, i: {}, ok=("a", CO)),
    ("audit-checkpoints", "post"): Rule("collection", *AUDIT, ok=("a", CO)),
    ("audit-public-key", "get"): Rule("public", roles=ROLES, scopes=(ANY_SCOPE,), ok=("c", CW)),
}


# --- discovery ---------------------------------------------------------------------------------
def _walk(patterns: Any, prefix: str = "") -> Any:
    for p in patterns:
        if isinstance(p, URLResolver):
            yield from _walk(p.url_patterns, prefix + str(p.pattern))
        elif isinstance(p, URLPattern):
            yield prefix + str(p.pattern), p


METHODS = ("get", "post", "put", "patch", "delete")


def resolver_routes() -> dict[tuple[str, str], str]:
    """(route name, method) -> route template, for every view under /api/v1/."""
    found: dict[tuple[str, str], str] = {}
    for route, pattern in _walk(get_resolver().url_patterns):
        if not route.startswith("api/v1/"):
            continue
        view = getattr(pattern.callback, "view_class", None)
        for method in METHODS:
            if view is not None and hasattr(view, method):
                found[(pattern.name or route, method)] = route
    return found


def schema_operations() -> set[tuple[str, str]]:
    schema = SchemaGenerator().get_schema(request=None, public=True)
    ops = set()
    for path, item in schema["paths"].items():
        concrete = re.sub(r"\{\w+\}", str(uuid.uuid4()), path)
        name = resolve(concrete).url_name or path
        ops |= {(name, m) for m in item if m in METHODS}
    return ops


ROUTES = resolver_routes()


def test_every_route_and_method_is_classified():
    discovered = set(ROUTES) | schema_operations()
    unclassified = sorted(discovered - set(TABLE))
    assert not unclassified, (
        f"add these to TABLE in {__file__} (who may call them, on which object): {unclassified}"
    )
    stale = sorted(set(TABLE) - discovered)
    assert not stale, f"TABLE names routes that no longer exist: {stale}"
    assert len(discovered) >= 40


# --- the matrix ----------------------------------------------------------------------------------
def _url(route: str, kwargs: dict[str, str]) -> str:
    def sub(match: re.Match[str]) -> str:
        return kwargs[match.group(1)]

    return "/" + re.sub(r"<(?:\w+:)?(\w+)>", sub, route)


Persona = User | Integration | None


def _call(who: Persona, method: str, url: str, body: dict[str, Any] | None) -> Any:
    client = bearer(who)
    if body is None:
        return getattr(client, method)(url)
    return getattr(client, method)(url, body, format="json")


def _assert_clean(response: Any, secrets: list[str], label: str) -> None:
    text = response.content.decode("utf-8", "replace")
    leaked = [s for s in secrets if s in text]
    assert not leaked, f"{label}: the body names {leaked}"


def _integration_without(world: World, scopes: tuple[str, ...]) -> Integration:
    if ANY_SCOPE in scopes:
        raise AssertionError("no integration lacks every scope of an any-scope route")
    return integration(world.a.agency, sorted(ALL_SCOPES - set(scopes)))


def _personas(tenant: Any, rule: Rule) -> list[tuple[str, Persona]]:
    people: list[tuple[str, Persona]] = [(role, tenant.users[role]) for role in rule.roles]
    if rule.scopes:
        people.append(("integration", tenant.full))
    return people


@pytest.mark.parametrize(
    ("name", "method"),
    [key for key in TABLE if TABLE[key].kind != "open"],
    ids=[f"{m.upper()} {n}" for (n, m) in TABLE if TABLE[(n, m)].kind != "open"],
)
def test_matrix(world: World, name: str, method: str) -> None:
    rule = TABLE[(name, method)]
    route = ROUTES[(name, method)]
    ids = world.ids
    url = _url(route, rule.kwargs(ids))
    body = rule.body(world, ids)
    secrets = [*world.all_ids(), *survivor_strings()]
    label = f"{method.upper()} {route}"

    def expect(who: Persona, status: int, tag: str, url: str = url, body: Any = body) -> Any:
        response = _call(who, method, url, body)
        assert response.status_code == status, (
            f"{label} as {tag}: {response.status_code} (expected {status}) "
            f"{response.content[:200]!r}"
        )
        _assert_clean(response, secrets, f"{label} as {tag}")
        return response

    # Anonymous.
    expect(None, 401, "anonymous")

    # Same agency, wrong role; same agency's integration without the scope.
    for role in ROLES:
        if role not in rule.roles:
            expect(world.a.users[role], 403, f"A {role}")
    if ANY_SCOPE not in rule.scopes:
        if rule.scopes:
            lacking = _integration_without(world, rule.scopes)
            expect(lacking, 403, f"A integration without {rule.scopes}")
        else:
            expect(world.a.full, 403, "A integration (route is for users only)")

    # Bystander agency C with every allowed role (and every scope).
    fake = {**{k: str(uuid.uuid4()) for k in ids}, "agency": ids["agency"]}
    fake_url = _url(route, rule.kwargs(fake))
    fake_body = rule.body(world, fake)
    for tag, who in _personas(world.c, rule):
        if rule.kind == "object":
            real = expect(who, rule.deny_other, f"C {tag}")
            if not rule.public_parent:
                ghost = _call(who, method, fake_url, fake_body)
                assert (ghost.status_code, ghost.json().get("code")) == (
                    real.status_code,
                    real.json().get("code"),
                ), f"{label} as C {tag}: A's real ids answer differently from random ones"
        else:
            response = _call(who, method, url, body)
            assert response.status_code < 500, f"{label} as C {tag}: {response.status_code}"
            _assert_clean(response, secrets, f"{label} as C {tag}")

    # The counter-party B, on A's objects it may not see.
    if rule.counterparty is not None:
        b_ids = rule.counterparty(ids)
        b_url = _url(route, rule.kwargs(b_ids))
        b_body = rule.body(world, b_ids)
        b_secrets = [*world.private_ids(), *survivor_strings()]
        for tag, who in _personas(world.b, rule):
            response = _call(who, method, b_url, b_body)
            assert response.status_code == 404, (
                f"{label} as B {tag}: {response.status_code} {response.content[:200]!r}"
            )
            _assert_clean(response, b_secrets, f"{label} as B {tag}")

    # Positive control, last (it may change or delete the object).
    if rule.ok is not None:
        tenant, role = rule.ok
        owner = getattr(world, tenant)
        who = owner.full if role == "full" else owner.users[role]
        response = _call(who, method, url, body)
        assert 200 <= response.status_code < 300, (
            f"{label} as {tenant.upper()} {role}: {response.status_code} {response.content[:300]!r}"
        )
