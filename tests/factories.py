"""factory-boy factories for the personas' objects (agencies, their programs, staff).

The personas in `tests/conftest.py` are built from these; a test that needs one more agency
or user calls a factory with only the fields that matter to it.
"""

from __future__ import annotations

from typing import Any

import factory

from accounts.models import User
from agencies.models import Agency, Program

PASSWORD = "correct-horse-battery-staple"


class AgencyFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Agency

    name = factory.Sequence(lambda n: f"Agency {n}")
    kind = "social_services"
    is_victim_service_provider = False


class ProgramFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Program

    agency = factory.SubFactory(AgencyFactory)
    name = factory.Sequence(lambda n: f"Program {n}")
    service_type = "case_management"


class UserFactory(factory.django.DjangoModelFactory):
    """A staff member; the password is `PASSWORD` unless given (hashed by `create_user`)."""

    class Meta:
        model = User

    username = factory.Sequence(lambda n: f"user{n}")
    agency = factory.SubFactory(AgencyFactory)
    role = "caseworker"
    password = PASSWORD

    @classmethod
    def _create(cls, model_class: type[User], *args: Any, **kwargs: Any) -> User:
        return model_class.objects.create_user(*args, **kwargs)
