"""`seed_demo` records a few obviously synthetic clients at alice's agency, once."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command

from clients.decrypt import client_fields
from clients.models import Client


@pytest.mark.django_db
def test_demo_clients_are_seeded_once_and_readable(settings, monkeypatch):
    settings.DEBUG = True
    monkeypatch.setenv("DEMO_PASSWORD", "a-long-demo-password")
    call_command("seed_demo", stdout=io.StringIO())
    call_command("seed_demo", stdout=io.StringIO())
    every = list(Client.objects.select_related("agency"))
    clients = [c for c in every if c.agency.name == "Eastside Legal Clinic"]
    assert len(clients) == 3
    # ... and one at Harbor, who refers to Eastside (the console's inbound demo referral).
    assert sorted(c.agency.name for c in every if c not in clients) == ["Harbor Social Services"]
    names = {
        client_fields(client=c, categories=["identity"])["identity"]["family_name"] for c in clients
    }
    assert names == {"Demoperson", "Fictional", "Example"}
