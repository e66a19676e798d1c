"""docs/examples/verify_webhook.py runs and verifies what the worker signs."""

from __future__ import annotations

import json
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest

from webhooks.signing import secret_generate, signature_header

EXAMPLE = Path(__file__).resolve().parents[2] / "docs" / "examples" / "verify_webhook.py"


def _sample(tmp_path: Path, *, tamper: bool = False, age: int = 0) -> Path:
    secret = secret_generate()
    msg_id, ts = str(uuid.uuid4()), int(time.time()) - age
    body = json.dumps(
        {
            "id": msg_id,
            "type": "referral.requested",
            "occurred_at": "2026-01-01T00:00:00Z",
            "data": {"referral_id": str(uuid.uuid4())},
        }
    )
    headers = {
        "Webhook-Id": msg_id,
        "Webhook-Timestamp": str(ts),
        "Webhook-Signature": signature_header(
            [secret], msg_id=msg_id, timestamp=ts, body=body.encode()
        ),
    }
    path = tmp_path / "sample.json"
    sent = body.replace("requested", "cancelled") if tamper else body
    path.write_text(json.dumps({"secret": secret, "headers": headers, "body": sent}))
    return path


def _run(path: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(EXAMPLE), str(path)], capture_output=True, text=True, timeout=30
    )


def test_the_example_verifies_a_signed_sample(tmp_path):
    result = _run(_sample(tmp_path))
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.startswith("verified referral.requested ")


def test_the_example_rejects_a_tampered_body(tmp_path):
    result = _run(_sample(tmp_path, tamper=True))
    assert result.returncode == 1 and "no valid signature" in result.stdout


def test_the_example_rejects_an_old_timestamp(tmp_path):
    result = _run(_sample(tmp_path, age=3600))
    assert result.returncode == 1 and "tolerance" in result.stdout


def test_the_snippet_in_the_partner_guide_verifies_too(tmp_path):
    guide = (EXAMPLE.parents[1] / "partner-guide.md").read_text()
    section = guide.split("<!-- BEGIN webhooks section", 1)[1].split(
        "<!-- END webhooks section", 1
    )[0]
    code = section.split("```python\n", 1)[1].split("```", 1)[0]
    namespace: dict = {}
    exec(compile(code, "partner-guide.md", "exec"), namespace)
    sample = json.loads(_sample(tmp_path).read_text())
    headers = {k.lower(): v for k, v in sample["headers"].items()}
    event = namespace["verify"](sample["secret"], headers, sample["body"].encode())
    assert event["type"] == "referral.requested"


@pytest.mark.django_db
def test_the_example_receiver_accepts_what_the_worker_sends(eastside, adam):
    import threading

    from tests.conftest import actor
    from webhooks.services import outbox_emit, subscription_create
    from webhooks.worker import worker_drain

    sys.path.insert(0, str(EXAMPLE.parent))
    from webhook_receiver import make_server

    seen: set[str] = set()
    sub, secret = subscription_create(
        actor=actor(adam), url="http://127.0.0.1:1/", event_types=["*"]
    )
    server = make_server(0, secret, seen)
    sub.url = f"http://127.0.0.1:{server.server_address[1]}/hooks"
    sub.save()
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        [event] = outbox_emit(
            type="referral.expired", agency_ids=[eastside.id], data={"referral_id": "r"}
        )
        assert worker_drain().delivered == 1
        assert seen == {str(event.event_id)}
    finally:
        server.shutdown()
        server.server_close()
