"""Personas and API clients shared by every test.

Eastside Legal Clinic: alice and bob (caseworkers), sam (supervisor), erin (compliance officer),
adam (agency admin). Harbor Social Services: carol. Safe Harbor Housing: dave.
Northside Survivor Center (victim service provider): vic.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass

import pytest
from django.db import connection
from rest_framework.test import APIClient

from accounts.integrations import integration_create
from accounts.models import Integration, TokenFamily, User
from accounts.selectors import actor_for_integration, actor_for_user
from agencies.models import Agency
from api import tokens
from core.actor import Actor
from tests import factories
from tests.factories import AgencyFactory, ProgramFactory, UserFactory

PASSWORD = factories.PASSWORD


@pytest.fixture(scope="session", autouse=True)
def _responses_match_the_schema():  # type: ignore[no-untyped-def]
    """Every APIClient response is checked against the served OpenAPI schema (tests/contract.py)."""
    from tests import contract

    contract.install()
    yield
    contract.uninstall()


@pytest.fixture(autouse=True)
def _test_settings(settings):  # type: ignore[no-untyped-def]
    # Fast hashing for the suite; tests/accounts/test_passwords.py checks Argon2 is configured.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    # A fresh in-memory cache per test: no throttle or lockout count leaks between tests, and no
    # cache queries blur the query-count assertions. The shared stores (database cache, Redis)
    # are tested on their own in tests/accounts/test_limits*.py.
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "LOCATION": f"test-{uuid.uuid4().hex}",
        }
    }
    # Inside the per-test transaction, "independent" audit writes use the same connection;
    # tests of rollback survival switch this back to "audit" with transactional_db.
    settings.AUDIT_INDEPENDENT_ALIAS = "default"


def is_postgres() -> bool:
    return connection.vendor == "postgresql"


# --- Audit triggers vs. the flush of transactional tests --------------------------------------
# The audit tables reject UPDATE/DELETE/TRUNCATE (audit/migrations/0003). pytest-django ends every
# `transaction=True` / `transactional_db` test by flushing all tables (TRUNCATE on PostgreSQL,
# DELETE on SQLite), which the triggers would refuse. For those tests only:
#   1. `_audit_triggers_lifted` depends on `transactional_db`, so its teardown runs BEFORE the
#      flush: it drops the triggers (as the test DB owner/superuser);
#   2. `pytest_runtest_teardown` below runs AFTER every fixture (so after the flush) and
#      reinstalls them, so the next test sees an append-only table again.
# For every other test the autouse fixture costs one marker lookup and touches no database.


@pytest.fixture(autouse=True)
def _audit_triggers_flushable(request):  # type: ignore[no-untyped-def]
    marker = request.node.get_closest_marker("django_db")
    transactional = bool(marker and marker.kwargs.get("transaction"))
    if transactional or "transactional_db" in request.fixturenames:
        request.getfixturevalue("_audit_triggers_lifted")


@pytest.fixture
def _audit_triggers_lifted(request, transactional_db, django_db_blocker):  # type: ignore[no-untyped-def]
    yield
    from audit import triggers

    with django_db_blocker.unblock():
        triggers.uninstall(connection)
    request.node._audit_triggers_blocker = django_db_blocker


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_teardown(item, nextitem):  # type: ignore[no-untyped-def]
    yield
    blocker = getattr(item, "_audit_triggers_blocker", None)
    # After the last test the test database is gone (and the connection points back at the
    # real one): nothing to restore, and nothing must touch the real database.
    if blocker is not None and nextitem is not None:
        from audit import triggers

        with blocker.unblock():
            triggers.install(connection)


def _agency(name: str, kind: str, vsp: bool = False) -> Agency:
    return AgencyFactory(name=name, kind=kind, is_victim_service_provider=vsp)


@pytest.fixture
def eastside(db) -> Agency:  # type: ignore[no-untyped-def]
    agency = _agency("Eastside Legal Clinic", "legal_clinic")
    ProgramFactory(agency=agency, name="Protective Orders", service_type="family_law")
    return agency


@pytest.fixture
def harbor(db) -> Agency:  # type: ignore[no-untyped-def]
    agency = _agency("Harbor Social Services", "social_services")
    ProgramFactory(agency=agency, name="Case Management", service_type="case_management")
    return agency


@pytest.fixture
def safehouse(db) -> Agency:  # type: ignore[no-untyped-def]
    agency = _agency("Safe Harbor Housing", "housing")
    ProgramFactory(agency=agency, name="Emergency Shelter", service_type="shelter", response_days=3)
    return agency


@pytest.fixture
def northside(db) -> Agency:  # type: ignore[no-untyped-def]
    return _agency("Northside Survivor Center", "social_services", vsp=True)


def _user(username: str, agency: Agency | None, role: str) -> User:
    return UserFactory(username=username, password=PASSWORD, agency=agency, role=role)


@pytest.fixture
def alice(eastside: Agency) -> User:
    return _user("alice", eastside, "caseworker")


@pytest.fixture
def bob(eastside: Agency) -> User:
    return _user("bob", eastside, "caseworker")


@pytest.fixture
def sam(eastside: Agency) -> User:
    return _user("sam", eastside, "supervisor")


@pytest.fixture
def erin(eastside: Agency) -> User:
    return _user("erin", eastside, "compliance_officer")


@pytest.fixture
def adam(eastside: Agency) -> User:
    return _user("adam", eastside, "agency_admin")


@pytest.fixture
def carol(harbor: Agency) -> User:
    return _user("carol", harbor, "caseworker")


@pytest.fixture
def hank(harbor: Agency) -> User:
    """Harbor's supervisor."""
    return _user("hank", harbor, "supervisor")


@pytest.fixture
def dave(safehouse: Agency) -> User:
    return _user("dave", safehouse, "caseworker")


@pytest.fixture
def vic(northside: Agency) -> User:
    return _user("vic", northside, "caseworker")


def access_token_for(user: User) -> str:
    family = TokenFamily.objects.create(id=uuid.uuid4(), user=user)
    return tokens.user_access(user, family)


@dataclass(frozen=True)
class Enrolled:
    secret: str
    recovery_codes: list[str]


def enrol_totp(user: User) -> Enrolled:
    """Give `user` a confirmed TOTP factor through the real services (as the enrolment step).

    The confirming code is the previous time step's, so a login with the current code is not
    a replay.
    """
    from urllib.parse import parse_qs, urlsplit

    from accounts import mfa, totp

    step_actor = actor_for_user(user, auth_method=mfa.ENROLMENT_STEP)
    uri = mfa.totp_enrol_start(actor=step_actor, user=user, password=None, ip="127.0.0.1")
    secret = parse_qs(urlsplit(uri).query)["secret"][0]
    done = mfa.totp_confirm(
        actor=step_actor, user=user, code=totp.code_now(secret, at=time.time() - 30)
    )
    user.refresh_from_db()
    return Enrolled(secret=secret, recovery_codes=done.recovery_codes)


def client_for(user: User) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {access_token_for(user)}")
    return client


@pytest.fixture
def anon() -> APIClient:
    return APIClient()


@pytest.fixture
def api() -> Callable[[User | Integration], APIClient]:
    """`api(alice)` -> an APIClient authenticated as that user (or integration)."""

    def make(who: User | Integration) -> APIClient:
        if isinstance(who, Integration):
            client = APIClient()
            client.credentials(HTTP_AUTHORIZATION=f"Bearer {tokens.integration_access(who)}")
            return client
        return client_for(who)

    return make


@pytest.fixture
def make_integration() -> Callable[..., Integration]:
    """`make_integration(agency, scopes=[...])` -> an active Integration."""

    def make(agency: Agency, scopes: list[str] | tuple[str, ...] = ()) -> Integration:
        integration, _secret = integration_create(
            actor=Actor(kind="system", agency_id=None, username="test"),
            agency=agency,
            name=f"partner-{uuid.uuid4().hex[:6]}",
            scopes=list(scopes),
        )
        return integration

    return make


def actor(who: User | Integration) -> Actor:
    """The Actor a service would receive for this persona."""
    if isinstance(who, Integration):
        return actor_for_integration(who, auth_method="client_token")
    return actor_for_user(who, auth_method="jwt")


@pytest.fixture
def make_client(db) -> Callable[..., object]:  # type: ignore[no-untyped-def]
    """`make_client(agency, given_name="Ana", family_name="Canary", ...)` -> an encrypted Client.

    Field names are flat (`phone`, `risk_notes`, ...) or `<category>_<field>` where a name is
    ambiguous (`immigration_notes`, `health_notes`). Defaults give a searchable identity.
    """
    from clients.fields import SPECS
    from clients.services import client_create

    by_name: dict[str, tuple[str, str]] = {}
    for spec in SPECS:
        by_name[spec.qualified] = (spec.category, spec.name)
        by_name.setdefault(spec.name, (spec.category, spec.name))

    def make(agency: Agency, **fields: object) -> object:
        values = {"given_name": "Test", "family_name": "Person", "date_of_birth": "1990-01-01"}
        values.update(fields)
        data: dict[str, dict[str, object]] = {}
        for key, value in values.items():
            category, name = by_name[key]
            data.setdefault(category, {})[name] = value
        return client_create(
            actor=Actor(kind="system", agency_id=None, username="test"), agency=agency, data=data
        )

    return make


client_of = make_client


def pytest_collection_modifyitems(config, items):  # type: ignore[no-untyped-def]
    """`@pytest.mark.postgres` tests are skipped when the suite runs on SQLite."""
    from django.conf import settings

    if settings.DATABASE_IS_POSTGRES:
        return
    skip = pytest.mark.skip(reason="needs PostgreSQL (runs in the PostgreSQL pass of make test)")
    for item in items:
        if "postgres" in item.keywords:
            item.add_marker(skip)
