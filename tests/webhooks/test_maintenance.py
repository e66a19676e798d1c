"""Retention pruning and rewrapping signing secrets after a KEK rotation."""

from __future__ import annotations

import base64
import os
from datetime import timedelta

import pytest
from django.utils import timezone

from crypto.keyring import load_keyring
from tests.conftest import actor
from webhooks.maintenance import subscription_secrets_rewrap, webhooks_prune
from webhooks.models import Delivery, DeliveryAttempt, OutboxEvent, Subscription
from webhooks.services import outbox_emit
from webhooks.signing import secret_decrypt
from webhooks.worker import worker_drain

pytestmark = pytest.mark.django_db


def test_prune_removes_only_finished_deliveries_past_retention(eastside, adam, receiver, subscribe):
    subscribe(adam)
    outbox_emit(type="referral.requested", agency_ids=[eastside.id], data={"referral_id": "a"})
    worker_drain()
    receiver.mode = "fail"
    outbox_emit(type="referral.requested", agency_ids=[eastside.id], data={"referral_id": "b"})
    worker_drain()
    later = timezone.now() + timedelta(days=31)
    assert webhooks_prune(actor=actor(adam), now=later) == 1
    assert Delivery.objects.get().status == "pending"  # the one still being retried stays
    assert DeliveryAttempt.objects.count() == 1 and OutboxEvent.objects.count() == 1
    assert webhooks_prune(actor=actor(adam)) == 0  # nothing is old yet


def test_rewrap_moves_secrets_to_the_new_primary_kek(settings, adam, subscribe):
    sub = subscribe(adam)
    secret = secret_decrypt(
        sub.secret_key_id, sub.secret_ciphertext, subscription_id=sub.id, agency_id=sub.agency_id
    )
    ring = load_keyring()
    old_keys = ",".join(f"{k}:{base64.b64encode(v).decode()}" for k, v in ring.keys.items())
    settings.FIELD_KEYS = f"{old_keys},next:{base64.b64encode(os.urandom(32)).decode()}"
    settings.FIELD_PRIMARY_KEY_ID = "next"
    load_keyring.cache_clear()
    try:
        assert subscription_secrets_rewrap(actor=actor(adam)) == 1
        sub = Subscription.objects.get()
        assert sub.secret_key_id == "next"
        assert (
            secret_decrypt(
                "next", sub.secret_ciphertext, subscription_id=sub.id, agency_id=sub.agency_id
            )
            == secret
        )
        assert subscription_secrets_rewrap(actor=actor(adam)) == 0
    finally:
        load_keyring.cache_clear()
