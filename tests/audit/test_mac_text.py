"""The MAC's text of a JSON column is PostgreSQL's jsonb text, however the list is spelled."""

from __future__ import annotations

import json

import pytest
from django.db import connection

from audit import mac

LISTS = [[], ["identity"], ["contact", "identity"], ["é", 'q"uote', "back\\slash", "tab\tx"]]


@pytest.mark.parametrize("value", LISTS)
def test_a_list_of_strings_has_the_text_jsonb_gives_it(db, value):
    text = mac.text_of("JSONField", value)
    assert text == mac.text_of("JSONField", json.dumps(value))  # as read back from a row
    assert text == json.dumps(value, separators=(", ", ": "), ensure_ascii=False)
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT coalesce(%s::jsonb::text, '')", [json.dumps(value)])
            assert cursor.fetchone()[0] == text


def test_other_json_is_dumped_as_before():
    for value in ({"b": 1, "a": [1, "x"]}, [1, "two"], None):
        assert mac.text_of("JSONField", value) == json.dumps(
            value, separators=(", ", ": "), ensure_ascii=False
        )
