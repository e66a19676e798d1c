"""A typed client generated from the served schema (openapi-python-client) drives the main
journey: sign in, record a client and a consent, send a referral, the recipient reads and
accepts it, and a refusal arrives as the generated `Problem` model."""

from __future__ import annotations

import importlib
import json
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from django.utils import timezone
from drf_spectacular.generators import SchemaGenerator

from tests.conftest import PASSWORD

BIN = Path(sys.executable).parent


@pytest.fixture(scope="module")
def rh_client(tmp_path_factory):  # type: ignore[no-untyped-def]
    """Generate the client package from the schema and import it."""
    root = tmp_path_factory.mktemp("generated")
    schema = root / "schema.json"
    raw = SchemaGenerator().get_schema(request=None, public=True)
    schema.write_text(json.dumps(raw, default=str))
    config = root / "config.yaml"
    config.write_text("package_name_override: rh_client\npost_hooks: []\n")
    done = subprocess.run(
        [str(BIN / "openapi-python-client"), "generate", "--path", str(schema), "--config",
         str(config), "--meta", "none", "--output-path", str(root / "rh_client")],
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    sys.path.insert(0, str(root))
    try:
        yield importlib.import_module("rh_client")
    finally:
        sys.path.remove(str(root))
        for name in [m for m in sys.modules if m == "rh_client" or m.startswith("rh_client.")]:
            del sys.modules[name]


@pytest.fixture
def wsgi():  # type: ignore[no-untyped-def]
    """The app in-process over httpx's WSGI transport, on the test's database connection."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield httpx.WSGITransport(app=get_wsgi_application())
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


def _signed_in(rh_client, wsgi, username):  # type: ignore[no-untyped-def]
    from rh_client.api.auth import auth_token_create
    from rh_client.models import TokenObtainInputRequest

    anon = rh_client.Client(base_url="http://testserver", httpx_args={"transport": wsgi})
    body = TokenObtainInputRequest(username=username, password=PASSWORD)
    pair = auth_token_create.sync(client=anon, body=body)
    return rh_client.AuthenticatedClient(
        base_url="http://testserver", token=pair.access, httpx_args={"transport": wsgi}
    )


def test_the_generated_client_drives_the_main_journey(
    rh_client, wsgi, settings, alice, dave, safehouse
):  # type: ignore[no-untyped-def]
    settings.MFA_REQUIRED_ROLES = []
    from rh_client.api.clients import clients_consents_create, clients_create
    from rh_client.api.referrals import (
        referrals_create,
        referrals_retrieve,
        referrals_transitions_create,
    )
    from rh_client.models import (
        ClientCreateInputRequest,
        ConsentCreateInputRequest,
        Problem,
        ReferralCreateInputRequest,
        ReferralTransitionInputRequest,
    )

    sender = _signed_in(rh_client, wsgi, "alice")
    person = clients_create.sync(
        client=sender,
        body=ClientCreateInputRequest.from_dict(
            {"identity": {"given_name": "Ana", "family_name": "Núñez"}}
        ),
    )
    consent = clients_consents_create.sync(
        client_id=person.id,
        client=sender,
        body=ConsentCreateInputRequest.from_dict(
            {
                "recipient_agency_id": str(safehouse.id),
                "categories": ["identity", "contact"],
                "purpose": "housing",
                "expires_at": (timezone.now() + timedelta(days=90)).isoformat(),
                "method": "written",
                "signed_by": "client",
                "informed": True,
            }
        ),
    )
    referral = referrals_create.sync(
        client=sender,
        body=ReferralCreateInputRequest.from_dict(
            {
                "client_id": str(person.id),
                "recipient_agency_id": str(safehouse.id),
                "consent_id": str(consent.id),
                "service_type": "shelter",
                "reason": "Needs a bed this week.",
            }
        ),
        idempotency_key="journey-1",
    )
    assert referral.status.value == "requested"

    recipient = _signed_in(rh_client, wsgi, "dave")
    seen = referrals_retrieve.sync(referral_id=referral.id, client=recipient)
    assert seen.id == referral.id
    accepted = referrals_transitions_create.sync(
        referral_id=referral.id,
        client=recipient,
        body=ReferralTransitionInputRequest.from_dict({"to": "accepted", "version": seen.version}),
    )
    assert accepted.status.value == "accepted"

    again = referrals_transitions_create.sync(
        referral_id=referral.id,
        client=recipient,
        body=ReferralTransitionInputRequest.from_dict({"to": "requested"}),
    )
    assert isinstance(again, Problem), again
    assert again.status == 409 and again.code == "illegal_transition"
