"""Field encryption: µs per field, and client create/read through the API vs a plaintext twin.

The twin is bench-only: this module is its own URLconf (`ROOT_URLCONF="bench.bench_crypto"`
inside the run), and the twin views read and write a plaintext JSON column in a table the
bench creates in the throwaway test database. Both sides go through the same in-process
Django test client, the same JWT authentication, permission classes, input validation,
agency scoping and audit event; only the storage differs (sealed columns + wrapped DEK vs JSON).
"""

from __future__ import annotations

import json
import statistics
import time
import uuid
from typing import Any

from bench.harness import ready, row

urlpatterns: list[Any] = []  # filled in by run(); used only while the bench runs
FIELD = "A field value of typical length: 42 Example Street"


def paired(cases: dict[str, Any], *, seconds: float = 12.0, warmup: int = 30) -> dict[str, float]:
    """Requests/s per case from the median latency, the cases alternating request by request.

    Alternating single requests (ABAB...) puts both sides under the same machine load at every
    moment, which matters on a shared box; the median ignores the odd stall.
    """
    for _ in range(warmup):
        for fn in cases.values():
            fn()
    samples: dict[str, list[float]] = {name: [] for name in cases}
    started = time.perf_counter()
    flip = False
    while time.perf_counter() - started < seconds:
        order = list(cases.items())[:: -1 if flip else 1]
        flip = not flip
        for name, fn in order:
            t0 = time.perf_counter()
            fn()
            samples[name].append(time.perf_counter() - t0)
    return {name: 1 / statistics.median(values) for name, values in samples.items()}


def _per_op(fn: Any, n: int = 20000) -> float:
    started = time.perf_counter()
    for _ in range(n):
        fn()
    return (time.perf_counter() - started) / n * 1e6


def _field_costs(client: Any) -> list[dict[str, Any]]:
    from clients.models import Client
    from crypto import service
    from crypto.datakeys import dek_for
    from crypto.scope import key_scope

    row_id = uuid.uuid4()
    args = {
        "client": client,
        "table": "clients_client",
        "column": "contact_address",
        "row_id": row_id,
    }
    with key_scope():
        blob = service.seal(value=FIELD, **args)
        seal_us = _per_op(lambda: service.seal(value=FIELD, **args))
        unseal_us = _per_op(lambda: service.unseal(blob=blob, **args))
    fresh = Client.objects.select_related("data_key").get(pk=client.pk)

    def unwrap() -> None:
        with key_scope():
            dek_for(fresh)

    def cold_unseal() -> None:
        with key_scope():
            service.unseal(blob=blob, **args)

    section = "Encryption"
    return [
        row(section, "seal one field (DEK and field key cached)", seal_us, "µs/field"),
        row(section, "unseal one field (DEK and field key cached)", unseal_us, "µs/field"),
        row(section, "unwrap one client DEK (once per request)", _per_op(unwrap, 5000), "µs"),
        row(
            section,
            "unseal one field, cold (unwrap + HKDF + decrypt)",
            _per_op(cold_unseal, 5000),
            "µs",
        ),
    ]


def _plain_model() -> Any:
    """Bench-only unmanaged plaintext twin of Client (one JSON column, table made here)."""
    from django.db import models

    class BenchPlainClient(models.Model):  # noqa: DJ008 - never rendered
        id = models.UUIDField(primary_key=True, default=uuid.uuid4)
        agency_id = models.UUIDField()
        data = models.JSONField()
        created_at = models.DateTimeField(auto_now_add=True)
        updated_at = models.DateTimeField(auto_now=True)
        erased_at = models.DateTimeField(null=True)

        class Meta:
            app_label = "clients"
            managed = False
            db_table = "bench_plain_client"

    return BenchPlainClient


def _twin_views(model: Any) -> tuple[Any, Any]:
    """Plaintext twins of ClientDetailApi.get and ClientListCreateApi.post (bench only)."""
    from django.db import transaction
    from rest_framework.response import Response
    from rest_framework.views import APIView

    from api.base import actor_of
    from api.v1.clients import ClientCreateInput, Reader, Writer
    from audit.services import audit_record
    from core.errors import NotFound

    def render(obj: Any) -> dict[str, Any]:
        return {
            "id": obj.pk,
            "agency_id": obj.agency_id,
            "created_at": obj.created_at,
            "updated_at": obj.updated_at,
            "erased": False,
            "erased_at": None,
            **obj.data,
        }

    class PlainDetail(APIView):
        permission_classes = [Reader]

        def get(self, request: Any, client_id: uuid.UUID) -> Response:
            actor = actor_of(request)
            obj = model.objects.filter(agency_id=actor.agency_id).filter(pk=client_id).first()
            if obj is None:
                raise NotFound()
            audit_record(
                actor=actor,
                action="client.read",
                target=obj,
                subject_id=obj.pk,
                target_agency_id=obj.agency_id,
                categories=list(obj.data),
            )
            return Response(render(obj))

    class PlainCreate(APIView):
        permission_classes = [Writer]

        def post(self, request: Any) -> Response:
            actor = actor_of(request)
            data = ClientCreateInput(data=request.data)
            data.is_valid(raise_exception=True)
            with transaction.atomic():
                obj = model.objects.create(
                    agency_id=actor.agency_id,
                    data=json.loads(json.dumps(data.validated_data, default=str)),
                )
                audit_record(
                    actor=actor,
                    action="client.create",
                    target=obj,
                    subject_id=obj.pk,
                    target_agency_id=obj.agency_id,
                    categories=list(obj.data),
                )
            return Response(render(obj), status=201)

    return PlainDetail, PlainCreate


BODY = {
    "identity": {
        "given_name": "Benchy",
        "family_name": "Example",
        "preferred_name": "B",
        "date_of_birth": "1990-01-01",
    },
    "contact": {
        "phone": "+1 555 0100",
        "email": "benchy@example.test",
        "address": "1 Example Street",
        "safe_contact_instructions": "Text first.",
    },
    "demographics": {"gender": "x", "preferred_language": "en", "household_size": 3},
    "safety": {"risk_notes": "Some notes of moderate length about safety planning."},
    "immigration": {"status": "pending", "notes": "Notes."},
    "health": {"notes": "Notes."},
}


def run() -> list[dict[str, Any]]:
    vendor = ready()
    from django.db import connection
    from django.test import Client as HttpClient
    from django.test.utils import override_settings
    from django.urls import path

    from accounts.models import TokenFamily, User
    from agencies.models import Agency
    from api import tokens
    from api.v1.clients import ClientDetailApi, ClientListCreateApi
    from clients.services import client_create
    from tests.conftest import actor

    agency = Agency.objects.create(name="Bench Crypto Agency", kind="other")
    user = User.objects.create_user(
        username="bench-crypto", password=None, agency=agency, role="caseworker"
    )
    bearer = f"Bearer {tokens.user_access(user, TokenFamily.objects.create(user=user))}"
    model = _plain_model()
    with connection.schema_editor() as editor:
        editor.create_model(model)
    PlainDetail, PlainCreate = _twin_views(model)
    urlpatterns[:] = [
        path("enc/", ClientListCreateApi.as_view()),
        path("enc/<uuid:client_id>/", ClientDetailApi.as_view()),
        path("plain/", PlainCreate.as_view()),
        path("plain/<uuid:client_id>/", PlainDetail.as_view()),
    ]
    http = HttpClient(HTTP_AUTHORIZATION=bearer)
    encrypted = [client_create(actor=actor(user), data=BODY).pk for _ in range(50)]
    plain = []
    with override_settings(ROOT_URLCONF="bench.bench_crypto"):
        for _ in range(50):
            plain.append(http.post("/plain/", BODY, content_type="application/json").json()["id"])
        turn = {"enc": 0, "plain": 0}

        def read(kind: str, ids: list[Any]) -> None:
            turn[kind] += 1
            response = http.get(f"/{kind}/{ids[turn[kind] % len(ids)]}/")
            assert response.status_code == 200, response.content

        def create(kind: str) -> None:
            assert http.post(f"/{kind}/", BODY, content_type="application/json").status_code == 201

        reads = paired(
            {"enc": lambda: read("enc", encrypted), "plain": lambda: read("plain", plain)}
        )
        creates = paired(
            {"enc": lambda: create("enc"), "plain": lambda: create("plain")}, seconds=8
        )
    rows = _field_costs(client_create(actor=actor(user), data=BODY))
    section = "Encryption"
    return [
        *rows,
        row(section, f"client read, plaintext twin ({vendor})", reads["plain"], "req/s"),
        row(
            section,
            f"client read, encrypted ({vendor})",
            reads["enc"],
            "req/s",
            baseline="plaintext twin",
            ratio=reads["enc"] / reads["plain"],
            target=">= 0.90",  # issue 19
            note="15 fields: 1 DEK unwrap + 15 HKDF + 15 AES-GCM per request",
        ),
        row(section, f"client create, plaintext twin ({vendor})", creates["plain"], "req/s"),
        row(
            section,
            f"client create, encrypted ({vendor})",
            creates["enc"],
            "req/s",
            baseline="plaintext twin",
            ratio=creates["enc"] / creates["plain"],
        ),
    ]
