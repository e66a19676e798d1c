"""Password storage and rules (issue 14, Deliver 4). The suite itself hashes with MD5 for speed
(tests/conftest.py); these tests check what the project's settings really configure."""

from __future__ import annotations

import pytest
from django.contrib.auth.hashers import check_password, make_password
from django.test import override_settings

import referral_hub.settings as project
from accounts.models import User
from accounts.users import password_check
from core.errors import ValidationFailed


def test_argon2_is_the_first_hasher():
    assert project.PASSWORD_HASHERS[0] == "django.contrib.auth.hashers.Argon2PasswordHasher"
    with override_settings(PASSWORD_HASHERS=project.PASSWORD_HASHERS):
        encoded = make_password("a-long-and-new-phrase-7")
        assert encoded.startswith("argon2$argon2id$")
        assert check_password("a-long-and-new-phrase-7", encoded)


def test_an_older_pbkdf2_hash_still_verifies_and_is_upgraded(alice):
    with override_settings(PASSWORD_HASHERS=project.PASSWORD_HASHERS[1:]):
        alice.set_password("a-long-and-new-phrase-7")
        alice.save(update_fields=["password"])
    assert alice.password.startswith("pbkdf2_sha256$")
    with override_settings(PASSWORD_HASHERS=project.PASSWORD_HASHERS):
        assert User.objects.get(pk=alice.pk).check_password("a-long-and-new-phrase-7")
        assert User.objects.get(pk=alice.pk).password.startswith("argon2$")


@pytest.mark.parametrize(
    ("password", "says"),
    [
        ("short-1", "too short"),
        ("q1w2e3r4t5y6", "too common"),
        ("123456789012345", "entirely numeric"),
        ("alice-the-caseworker", "too similar"),
    ],
)
def test_the_validators_refuse_weak_passwords(alice, password, says):
    validators = override_settings(AUTH_PASSWORD_VALIDATORS=project.AUTH_PASSWORD_VALIDATORS)
    with validators, pytest.raises(ValidationFailed) as refused:
        password_check(password, User(username="alice-the-caseworker"))
    assert says in refused.value.detail
