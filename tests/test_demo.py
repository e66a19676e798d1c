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
    clients = list(Client.objects.select_related("agency"))
    assert len(clients) == 3
    assert {c.agency.name for c in clients} == {"Eastside Legal Clinic"}
    names = {
        client_fields(client=c, categories=["identity"])["identity"]["family_name"] for c in clients
    }
    assert names == {"Demoperson", "Fictional", "Example"}
