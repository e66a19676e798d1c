"""The load generator: concurrent partner clients driving a mixed workload over loopback HTTP.

Standard library only (threads + http.client, one TCP connection per request as gunicorn's
sync workers close them). Each thread is one partner identity of one agency: a caseworker
session (refresh-token rotation) or an integration (client credentials).

With several server instances (`make loadtest INSTANCES=2`) every request goes to the next
instance in turn (one round-robin shared by all threads, like a load balancer), and an
idempotent retry or twin of a create is sent to a *different* instance than the first copy.
"""

from __future__ import annotations

import http.client
import itertools
import json
import random
import threading
import time
import uuid
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from bench.loadcheck import PASSWORD, SERVICE_TYPE, Acknowledged, Seed

NEXT_STATUS = {"requested": "accepted", "accepted": "in-progress", "in-progress": "completed"}
WEIGHTS = {
    "inbox.list": 20,
    "referral.read": 25,
    "referral.create": 20,
    "referral.transition": 15,
    "message.create": 12,
    "token.refresh": 8,
}
RETRY_SHARE = 0.10  # creates re-sent with the same Idempotency-Key after the first answer
TWIN_SHARE = 0.03  # creates sent twice at once with the same key


@dataclass
class Sample:
    op: str
    status: int
    ms: float
    ok: bool = True


@dataclass
class Pools:
    """What the clients know of the world, shared between threads (creates feed the others)."""

    lock: threading.Lock = field(default_factory=threading.Lock)
    inbox: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))
    outbox: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))
    movable: dict[str, dict[str, str]] = field(default_factory=lambda: defaultdict(dict))
    creates: dict[str, str] = field(default_factory=dict)
    seen: set[str] = field(default_factory=set)
    transitions: int = 0
    messages: set[str] = field(default_factory=set)
    errors: list[str] = field(default_factory=list)

    def received(self, referral_id: str, sender: str, recipient: str) -> None:
        with self.lock:
            self._received(referral_id, sender, recipient)

    def _received(self, referral_id: str, sender: str, recipient: str) -> None:
        self.inbox[recipient].append(referral_id)
        self.outbox[sender].append(referral_id)
        self.movable[recipient][referral_id] = "requested"

    def created(self, key: str, referral_id: str, sender: str, recipient: str) -> bool:
        """Record an acknowledged create; False when the key already named another referral."""
        with self.lock:
            known = self.creates.setdefault(key, referral_id)
            if known != referral_id:
                return False
            if referral_id not in self.seen:
                self.seen.add(referral_id)
                self._received(referral_id, sender, recipient)
            return True

    def claim(self, agency: str) -> tuple[str, str] | None:
        """Take a referral to move exclusively (no two threads move the same one)."""
        with self.lock:
            pool = self.movable[agency]
            if not pool:
                return None
            referral_id = random.choice(list(pool))
            return referral_id, pool.pop(referral_id)

    def release(self, agency: str, referral_id: str, status: str) -> None:
        with self.lock:
            if status in NEXT_STATUS:
                self.movable[agency][referral_id] = status

    def pick(self, box: dict[str, list[str]], agency: str) -> str | None:
        with self.lock:
            return random.choice(box[agency]) if box[agency] else None

    def error(self, text: str) -> None:
        with self.lock:
            if len(self.errors) < 20:
                self.errors.append(text)

    def successor(self) -> Pools:
        """The world as it now stands (referrals, their statuses), with nothing acknowledged yet:
        the next phase of a run starts from here, its writes counted apart."""
        with self.lock:
            after = Pools()
            for name in ("inbox", "outbox"):
                for agency, ids in getattr(self, name).items():
                    getattr(after, name)[agency] = list(ids)
            for agency, moves in self.movable.items():
                after.movable[agency] = dict(moves)
            after.seen = set(self.seen)
            return after

    def acknowledged(self) -> Acknowledged:
        return Acknowledged(
            creates=dict(self.creates), transitions=self.transitions, messages=set(self.messages)
        )


class RoundRobin:
    """The instances' ports, handed out in turn to every thread (a minimal load balancer)."""

    def __init__(self, ports: list[int]) -> None:
        self.ports = list(ports)
        self._turn = itertools.count()
        self._lock = threading.Lock()

    def next(self) -> int:
        with self._lock:
            return self.ports[next(self._turn) % len(self.ports)]

    def other(self, port: int) -> int:
        """Another instance than `port` (the same one when there is only one)."""
        index = self.ports.index(port)
        return self.ports[(index + 1) % len(self.ports)]


class Partner:
    """One concurrent client: authenticates, then loops over weighted operations."""

    def __init__(
        self, ports: RoundRobin, agency: str, ident: dict[str, Any], seed: Seed, pools: Pools
    ):
        self.ports, self.agency, self.ident, self.pools = ports, agency, ident, pools
        me = next(p for p in seed.partners if p.agency_id == agency)
        self.clients = me.clients
        self.samples: list[Sample] = []
        self.last = threading.local()  # the sample of this thread's latest call (twins share self)
        self.access = ""
        self.refresh = ""

    # --- HTTP -------------------------------------------------------------------------------
    def call(
        self,
        op: str,
        method: str,
        path: str,
        body: Any = None,
        headers: dict | None = None,
        port: int | None = None,
    ) -> tuple[int, Any, dict[str, str]]:
        hdrs = {"Accept": "application/json", **(headers or {})}
        if self.access and not path.startswith("/api/v1/auth"):
            hdrs["Authorization"] = f"Bearer {self.access}"
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            hdrs["Content-Type"] = "application/json"
        started = time.perf_counter()
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port or self.ports.next(), timeout=30)
            conn.request(method, path, body=data, headers=hdrs)
            response = conn.getresponse()
            raw = response.read()
            status, reply_headers = response.status, dict(response.getheaders())
            conn.close()
        except (OSError, http.client.HTTPException) as exc:  # refused, reset or cut off
            self._sample(Sample(op, 0, (time.perf_counter() - started) * 1000))
            return 0, {"code": type(exc).__name__}, {}
        self._sample(Sample(op, status, (time.perf_counter() - started) * 1000))
        try:
            payload = json.loads(raw) if raw else None
        except ValueError:
            payload = None
        return status, payload, reply_headers

    def _sample(self, sample: Sample) -> None:
        self.samples.append(sample)
        self.last.sample = sample

    def expect(self, op: str, status: int, want: int, payload: Any) -> bool:
        if status == want:
            return True
        code = payload.get("code") if isinstance(payload, dict) else None
        self.pools.error(f"{op}: HTTP {status} {code or ''}".strip())
        self.last.sample.ok = False
        return False

    # --- authentication --------------------------------------------------------------------
    def login(self) -> None:
        if "username" in self.ident:
            body = {"username": self.ident["username"], "password": PASSWORD}
            status, payload, _ = self.call("token.obtain", "POST", "/api/v1/auth/token", body)
            if self.expect("token.obtain", status, 200, payload):
                self.access, self.refresh = payload["access"], payload["refresh"]
        else:
            self.client_token()

    def client_token(self) -> None:
        body = {"client_id": self.ident["client_id"], "client_secret": self.ident["secret"]}
        status, payload, _ = self.call("token.refresh", "POST", "/api/v1/auth/client-token", body)
        if self.expect("token.refresh", status, 200, payload):
            self.access = payload["access"]

    def token_refresh(self) -> None:
        if "username" not in self.ident:
            return self.client_token()
        body = {"refresh": self.refresh}
        status, payload, _ = self.call("token.refresh", "POST", "/api/v1/auth/token/refresh", body)
        if self.expect("token.refresh", status, 200, payload):
            self.access, self.refresh = payload["access"], payload["refresh"]
        return None

    # --- operations -------------------------------------------------------------------------
    def inbox_list(self) -> None:
        status, payload, _ = self.call("inbox.list", "GET", "/api/v1/referrals?box=inbox")
        self.expect("inbox.list", status, 200, payload)

    def referral_read(self) -> None:
        referral_id = self.pools.pick(self.pools.inbox, self.agency)
        if referral_id is None:
            return self.inbox_list()
        status, payload, _ = self.call("referral.read", "GET", f"/api/v1/referrals/{referral_id}")
        self.expect("referral.read", status, 200, payload)
        return None

    def referral_create(self) -> None:
        client_id = random.choice(list(self.clients))
        recipient = random.choice(list(self.clients[client_id]))
        body = {
            "client_id": client_id,
            "recipient_agency_id": recipient,
            "consent_id": self.clients[client_id][recipient],
            "service_type": SERVICE_TYPE,
            "reason": f"Load test referral {uuid.uuid4().hex[:8]} (synthetic)",
        }
        key = str(uuid.uuid4())
        roll = random.random()
        here = self.ports.next()
        there = self.ports.other(here)  # retries and twins go to the other instance
        if roll < TWIN_SHARE:
            twin: list[str | None] = []
            thread = threading.Thread(target=lambda: twin.append(self._create(body, key, there)))
            thread.start()
            first = self._create(body, key, here)
            thread.join()
            self._same(key, [first, *twin])
            return
        first = self._create(body, key, here)
        if first is not None and roll < TWIN_SHARE + RETRY_SHARE:
            self._same(key, [first, self._create(body, key, there)])

    def _create(self, body: dict, key: str, port: int) -> str | None:
        status, payload, _ = self.call(
            "referral.create",
            "POST",
            "/api/v1/referrals",
            body,
            {"Idempotency-Key": key},
            port=port,
        )
        if not self.expect("referral.create", status, 201, payload):
            return None
        referral_id = str(payload["id"])
        if not self.pools.created(key, referral_id, self.agency, body["recipient_agency_id"]):
            self.pools.error("referral.create: a retry with the same key made a new referral")
        return referral_id

    def _same(self, key: str, ids: list[str | None]) -> None:
        if len({i for i in ids if i is not None}) > 1:
            self.pools.error(f"referral.create: key {key[:8]} answered with different ids")

    def referral_transition(self) -> None:
        claimed = self.pools.claim(self.agency)
        if claimed is None:
            return self.referral_read()
        referral_id, current = claimed
        target = NEXT_STATUS[current]
        status, payload, _ = self.call(
            "referral.transition",
            "POST",
            f"/api/v1/referrals/{referral_id}/transitions",
            {"to": target},
        )
        if self.expect("referral.transition", status, 200, payload):
            with self.pools.lock:
                self.pools.transitions += 1
            current = target
        self.pools.release(self.agency, referral_id, current)
        return None

    def message_create(self) -> None:
        box = random.choice((self.pools.inbox, self.pools.outbox))
        referral_id = self.pools.pick(box, self.agency)
        if referral_id is None:
            return self.inbox_list()
        status, payload, _ = self.call(
            "message.create",
            "POST",
            f"/api/v1/referrals/{referral_id}/messages",
            {"body": "Load test message (synthetic)"},
            {"Idempotency-Key": str(uuid.uuid4())},
        )
        if self.expect("message.create", status, 201, payload):
            with self.pools.lock:
                self.pools.messages.add(str(payload["id"]))
        return None

    def run(self, until: float) -> None:
        ops = list(WEIGHTS)
        weights = list(WEIGHTS.values())
        while time.monotonic() < until:
            op = random.choices(ops, weights)[0]
            getattr(self, op.replace(".", "_"))()


def drive(
    ports: int | list[int],
    seed: Seed,
    threads: int,
    seconds: float,
    on_start: Callable[[], None] = lambda: None,
    after: Pools | None = None,
) -> tuple[list[Sample], Pools, float]:
    """Sign every partner in, call `on_start`, run the mix for `seconds`.

    `ports`: one server, or several served in turn. `after`: the pools of a previous phase on
    the same database (its referrals have moved on). Returns every sample, the shared state
    and the wall time of the mix.
    """
    balancer = RoundRobin([ports] if isinstance(ports, int) else ports)
    if after is not None:
        pools = after.successor()
    else:
        pools = Pools()
        for referral_id, sender, recipient in seed.referrals:
            pools.received(referral_id, sender, recipient)
    idents: list[tuple[str, dict[str, Any]]] = []
    for p in seed.partners:
        idents += [(p.agency_id, {"username": u}) for u in p.users]
        idents += [(p.agency_id, {"client_id": c, "secret": s}) for c, s in p.integrations]
    partners = [Partner(balancer, *idents[i % len(idents)], seed, pools) for i in range(threads)]
    _all(partners, lambda p: p.login(), 60)  # password hashing: kept out of the measured mix
    for p in partners:
        p.samples.clear()  # a failed sign-in is still reported through pools.errors
    on_start()
    until = time.monotonic() + seconds
    started = time.perf_counter()
    _all(partners, lambda p: p.run(until), seconds + 60)
    wall = time.perf_counter() - started
    return [s for p in partners for s in p.samples], pools, wall


def _all(partners: list[Partner], work: Callable[[Partner], None], timeout: float) -> None:
    workers = [threading.Thread(target=work, args=(p,), daemon=True) for p in partners]
    for w in workers:
        w.start()
    for w in workers:
        w.join(timeout)
