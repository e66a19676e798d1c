"""Rotation is online: reads keep succeeding while another thread rewraps every data key."""

from __future__ import annotations

import io
import threading

import pytest
from django.core.management import call_command
from django.db import connection

from clients.decrypt import client_fields
from clients.models import Client
from crypto.keyring import load_keyring
from crypto.models import DataKey
from crypto.rotation import pending_count
from crypto.scope import key_scope


@pytest.mark.django_db(transaction=True)
def test_reads_succeed_throughout_a_concurrent_rotation(eastside, make_client, key_file):
    ids = [make_client(eastside, given_name=f"P{i}").pk for i in range(40)]
    old = load_keyring().primary_id
    errors: list[BaseException] = []

    def rotate() -> None:
        try:
            call_command(
                "rotate_keys", "--batch-size", "2", stdout=io.StringIO(), stderr=io.StringIO()
            )
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        finally:
            connection.close()

    worker = threading.Thread(target=rotate)
    worker.start()
    reads = 0
    while worker.is_alive() or reads < len(ids):
        client = Client.objects.select_related("data_key").get(pk=ids[reads % len(ids)])
        with key_scope():
            identity = client_fields(client=client, categories=["identity"])["identity"]
        assert identity["given_name"] == f"P{reads % len(ids)}"
        reads += 1
    worker.join()
    assert errors == []
    assert pending_count() == 0
    assert old not in set(DataKey.objects.values_list("kek_id", flat=True))
    assert reads >= len(ids)
