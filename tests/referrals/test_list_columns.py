"""The list statement's columns come from the models: every column, but the sealed ones a list
item does not show (named by what it shows, so a column added later is handled without a list
to edit: a plain one is read, a sealed one left out)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.apps import apps
from django.db import models

from clients.models import Client
from core.joined import Joined
from referrals.models import Referral
from referrals.selectors import _LIST as LIST
from referrals.selectors import (
    DETAIL_RELATED,
    LIST_SEALED_SHOWN,
    LIST_UNSHOWN,
    _list_unshown,
)


def test_the_list_reads_every_column_but_the_sealed_ones_it_does_not_show():
    sql = LIST.select()
    for table in LIST.tables():
        for field in table.model._meta.concrete_fields:
            sealed = isinstance(field, models.BinaryField)
            read = not sealed or (table.path, field.name) in LIST_SEALED_SHOWN
            assert (f'{table.alias}."{field.column}"' in sql) == read, (table.path, field.name)
    assert LIST_UNSHOWN[""] == ("reason", "status_reason")
    assert "identity_sealed" not in LIST_UNSHOWN["client"]
    assert "client__data_key" not in LIST_UNSHOWN  # the wrapped key opens the name


@pytest.fixture
def probes() -> Iterator[None]:
    """A plain and a sealed column added to Client for one test (the table is untouched)."""
    added = {
        "perf_probe": models.CharField(max_length=8, null=True, blank=True),  # noqa: DJ001
        "probe_sealed": models.BinaryField(null=True),
    }
    for name, field in added.items():
        field.contribute_to_class(Client, name)
    yield
    for name, field in added.items():
        Client._meta.local_fields.remove(field)
        delattr(Client, name)
    Client._meta._expire_cache()
    apps.clear_cache()


def test_a_column_added_later_is_read_if_plain_and_left_out_if_sealed(probes):
    unshown = _list_unshown()
    assert "probe_sealed" in unshown["client"]
    sql = Joined(Referral, *DETAIL_RELATED, defer=unshown).select()
    client = next(t for t in LIST.tables() if t.path == "client").alias
    assert f'{client}."perf_probe"' in sql
    assert f'{client}."probe_sealed"' not in sql
