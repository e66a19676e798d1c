"""A SoftHSM2 token for the PKCS#11 tests (Debian's `softhsm2`).

`softhsm_token()` makes one token per test run in a private directory (its own
SOFTHSM2_CONF, set before the library is first loaded). When the package is missing it is
installed with apt-get if this process runs as root; otherwise the tests skip and say why.
"""

from __future__ import annotations

import os
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.debian import ensure

MODULES = ("/usr/lib/softhsm/libsofthsm2.so", "/usr/lib/x86_64-linux-gnu/softhsm/libsofthsm2.so")
LABEL, PIN, SO_PIN = "rh-test", "4711-test-pin", "0815-test-so-pin"


@dataclass(frozen=True)
class SoftToken:
    module: str
    label: str
    pin: str


_made: dict[str, SoftToken] = {}


def softhsm_token() -> SoftToken:
    """The run's token (created once); skips the test when SoftHSM2 cannot be had."""
    if "token" in _made:
        return _made["token"]
    try:
        import pkcs11  # noqa: F401
    except ImportError:
        pytest.skip("python-pkcs11 is not installed (pip install -e '.[dev]' brings it)")
    module = ensure("softhsm2", *MODULES)
    if module is None:
        pytest.skip(
            "SoftHSM2 is not installed and this is not root: `apt-get install softhsm2` "
            "to run the PKCS#11 tests"
        )
    folder = Path(tempfile.mkdtemp(prefix="rh-softhsm-"))
    (folder / "tokens").mkdir()
    conf = folder / "softhsm2.conf"
    tokens = folder / "tokens"
    conf.write_text(
        f"directories.tokendir = {tokens}\nobjectstore.backend = file\nlog.level = ERROR\n"
    )
    os.environ["SOFTHSM2_CONF"] = str(conf)  # read by the library when it initialises
    subprocess.run(
        [
            "softhsm2-util",
            "--init-token",
            "--free",
            "--label",
            LABEL,
            "--pin",
            PIN,
            "--so-pin",
            SO_PIN,
        ],
        check=True,
        capture_output=True,
    )
    _made["token"] = SoftToken(module=module, label=LABEL, pin=PIN)
    return _made["token"]


def token_empty(token: SoftToken) -> None:
    """Destroy every object in the token (each test starts from an empty token)."""
    import pkcs11

    with (
        pkcs11.lib(token.module)
        .get_token(token_label=token.label)
        .open(rw=True, user_pin=token.pin) as session
    ):
        for obj in list(session.get_objects()):
            obj.destroy()
