"""Offline verifier for audit exports. Standard library + `cryptography` only: no Django, no DB.

    python -m audit.verify_export EXPORT.jsonl --public-key KEY

KEY is a file holding the PEM or base64 raw Ed25519 public key (from
`GET /api/v1/audit/public-key`), or the base64 string itself. Exit 0 and "VALID ..." when the
export verifies; exit 1 and "INVALID: line N ...: reason" at the first problem.
Needs only this file and `audit/canonical.py` (copy both to verify anywhere).
"""

from __future__ import annotations

import argparse
import base64
import binascii
import hashlib
import json
import sys
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import load_pem_public_key

from audit.canonical import GENESIS_HASH, chain_hash, checkpoint_message

FOOTER_CONTEXT = b"referral-hub-audit-export/1\n"


class Broken(Exception):
    def __init__(self, line: int, reason: str) -> None:
        super().__init__(f"line {line}: {reason}")


def load_public_key(value: str) -> Ed25519PublicKey:
    path = Path(value)
    text = path.read_text().strip() if path.is_file() else value.strip()
    if text.startswith("-----BEGIN"):
        key = load_pem_public_key(text.encode())
        if not isinstance(key, Ed25519PublicKey):
            raise ValueError("not an Ed25519 public key")
        return key
    return Ed25519PublicKey.from_public_bytes(base64.b64decode(text, validate=True))


def _signed(key: Ed25519PublicKey, message: bytes, signature: str) -> bool:
    try:
        key.verify(base64.b64decode(signature, validate=True), message)
    except (InvalidSignature, binascii.Error, ValueError):
        return False
    return True


class _Verifier:
    def __init__(self, key: Ed25519PublicKey) -> None:
        self.key = key
        self.agency = ""
        self.from_seq = 1
        self.last: dict[str, Any] | None = None  # last own-chain event
        self.checkpoint: dict[str, Any] | None = None
        self.to_seq: int | None = None
        self.counts = {"chain": 0, "targeting": 0}

    def header(self, n: int, obj: dict[str, Any]) -> None:
        if n != 1 or obj.get("format") != "referral-hub-audit-export/1":
            raise Broken(n, "the first line must be a referral-hub-audit-export/1 header")
        self.agency, self.from_seq = str(obj["agency_id"]), int(obj.get("from_seq", 1))
        self.to_seq = int(obj["to_seq"]) if obj.get("to_seq") else None

    def event(self, n: int, obj: dict[str, Any]) -> None:
        canonical = str(obj["canonical"]).encode("ascii")
        record = json.loads(canonical)
        for key in ("chain", "seq", "prev_hash"):
            if record.get(key) != obj[key]:
                raise Broken(n, f"record {key} differs from the line's {key}")
        if chain_hash(obj["prev_hash"], canonical) != obj["hash"]:
            raise Broken(n, f"hash mismatch (chain {obj['chain']} seq {obj['seq']}): edited")
        if obj["set"] == "chain":
            self._link(n, obj)
        elif obj["set"] == "targeting":
            # another chain's event on this agency's data, or on a referral sent to it
            seen_by = (record.get("subject_agency_id"), record.get("shared_agency_id"))
            if self.agency not in seen_by or obj["chain"] == self.agency:
                raise Broken(n, "a targeting event must concern this agency, from another chain")
        else:
            raise Broken(n, f"unknown set {obj['set']!r}")
        self.counts[obj["set"]] += 1

    def _link(self, n: int, obj: dict[str, Any]) -> None:
        if self.checkpoint is not None or obj["chain"] != self.agency:
            raise Broken(n, "own-chain event outside the agency chain segment")
        if self.last is None:
            if obj["seq"] != self.from_seq:
                raise Broken(n, f"segment starts at seq {obj['seq']}, expected {self.from_seq}")
            if obj["seq"] == 1 and obj["prev_hash"] != GENESIS_HASH:
                raise Broken(n, "seq 1 must link to the genesis hash")
        else:
            if obj["seq"] != self.last["seq"] + 1:
                raise Broken(
                    n, f"seq {obj['seq']} follows {self.last['seq']}: missing or reordered"
                )
            if obj["prev_hash"] != self.last["hash"]:
                raise Broken(n, f"seq {obj['seq']} does not link to the previous event")
        self.last = obj

    def checkpoint_line(self, n: int, obj: dict[str, Any]) -> None:
        message = checkpoint_message(
            chain=obj["chain"], seq=int(obj["seq"]), head_hash=obj["hash"], time=obj["time"]
        )
        if not _signed(self.key, message, obj["signature"]):
            raise Broken(n, "checkpoint signature is not valid for this public key")
        if obj["chain"] != self.agency:
            raise Broken(n, "checkpoint of another chain")
        last = self.last or {"seq": self.from_seq - 1, "hash": None}
        if last["seq"] != obj["seq"]:
            raise Broken(
                n, f"checkpoint is at seq {obj['seq']} but the segment ends at {last['seq']}"
            )
        if self.last is not None and last["hash"] != obj["hash"]:
            raise Broken(n, "the segment's last hash differs from the signed checkpoint")
        self.checkpoint = obj

    def footer(self, n: int, obj: dict[str, Any], digest: bytes) -> None:
        if obj.get("sha256") != digest.hex():
            raise Broken(n, "file content differs from the signed digest (lines added/removed?)")
        if not _signed(self.key, FOOTER_CONTEXT + digest, obj["signature"]):
            raise Broken(n, "export signature is not valid for this public key")
        if (
            obj["chain_events"] != self.counts["chain"]
            or obj["targeting_events"] != self.counts["targeting"]
        ):
            raise Broken(n, "event counts differ from the footer")
        if self.last is not None and self.checkpoint is None:
            raise Broken(n, "the chain segment has no covering checkpoint")
        if self.last is not None and self.to_seq is not None and self.last["seq"] != self.to_seq:
            raise Broken(
                n, f"the segment ends at seq {self.last['seq']}, header says {self.to_seq}"
            )


def verify_export(path: Path, key: Ed25519PublicKey) -> str:
    """Return a one-line summary when valid; raise `Broken` at the first problem."""
    verifier, digest, n = _Verifier(key), hashlib.sha256(), 0
    footer_seen = False
    with path.open("rb") as handle:
        for n, raw in enumerate(handle, start=1):
            if footer_seen:
                raise Broken(n, "content after the footer")
            try:
                obj = json.loads(raw)
                kind = obj["type"]
                if kind == "header":
                    verifier.header(n, obj)
                elif n == 1:
                    raise Broken(n, "missing header")
                elif kind == "event":
                    verifier.event(n, obj)
                elif kind == "checkpoint":
                    verifier.checkpoint_line(n, obj)
                elif kind == "footer":
                    verifier.footer(n, obj, digest.digest())
                    footer_seen = True
                else:
                    raise Broken(n, f"unknown line type {kind!r}")
            except (KeyError, TypeError, ValueError, UnicodeError) as exc:
                raise Broken(n, f"malformed line ({type(exc).__name__})") from exc
            digest.update(raw)
    if not footer_seen:
        raise Broken(n + 1, "missing signed footer (export truncated?)")
    cp = verifier.checkpoint
    tail = f"up to signed checkpoint seq {cp['seq']}" if cp else "(no own-chain events)"
    return (
        f"VALID: agency {verifier.agency}: {verifier.counts['chain']} chain events {tail}; "
        f"{verifier.counts['targeting']} targeting events (hash-consistent, export-signed)"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Verify a referral-hub audit export offline.")
    parser.add_argument("export", type=Path)
    parser.add_argument("--public-key", required=True, help="PEM/base64 file, or base64 text")
    args = parser.parse_args(argv)
    try:
        key = load_public_key(args.public_key)
    except (OSError, ValueError) as exc:
        print(f"cannot read the public key: {exc}", file=sys.stderr)
        return 2
    try:
        print(verify_export(args.export, key))
    except Broken as exc:
        print(f"INVALID: {exc}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
