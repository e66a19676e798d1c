"""https delivery: the sender connects to the checked address and still verifies the certificate."""

from __future__ import annotations

import datetime as dt
import ipaddress
import ssl
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from tests.webhooks.receiver import Receiver
from webhooks.models import Delivery, DeliveryAttempt
from webhooks.services import outbox_emit
from webhooks.worker import worker_drain

pytestmark = pytest.mark.django_db


def _self_signed(folder: Path) -> tuple[Path, Path]:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(hours=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
            ),
            critical=False,
        )
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = folder / "cert.pem", folder / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_path, key_path


@pytest.fixture
def tls_receiver(tmp_path):
    cert, key = _self_signed(tmp_path)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    live = Receiver(tls=context)
    live.ca_file = str(cert)
    yield live
    live.stop()


def _deliver(adam, eastside, receiver) -> None:
    from tests.conftest import actor
    from webhooks.services import subscription_create

    _, receiver.secret = subscription_create(actor=actor(adam), url=receiver.url, event_types=["*"])
    outbox_emit(type="referral.requested", agency_ids=[eastside.id], data={"referral_id": "r"})
    worker_drain()


def test_it_delivers_over_https_verifying_the_host_name(settings, adam, eastside, tls_receiver):
    settings.WEBHOOK_CA_FILE = tls_receiver.ca_file
    _deliver(adam, eastside, tls_receiver)
    assert len(tls_receiver.accepted) == 1 and tls_receiver.rejected == 0
    assert Delivery.objects.get().status == "delivered"


def test_an_untrusted_certificate_is_refused(settings, adam, eastside, tls_receiver):
    settings.WEBHOOK_CA_FILE = None  # the system store does not trust the test certificate
    _deliver(adam, eastside, tls_receiver)
    assert tls_receiver.accepted == {}
    assert DeliveryAttempt.objects.get().error_class == "SSLCertVerificationError"
