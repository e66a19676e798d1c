"""The referral state machine (DESIGN §4): which party may move a referral from where to where.

Parties: `sender` (the sending agency), `recipient` (the receiving agency), `system` (the
deadline job). A move not in this table is illegal for everyone.
"""

from __future__ import annotations

from referrals.models import ReferralStatus as S

SENDER = "sender"
RECIPIENT = "recipient"
SYSTEM = "system"
PARTIES = (SENDER, RECIPIENT, SYSTEM)
READER_PARTIES = (SENDER, RECIPIENT)  # who reads a referral (the system only moves it)

_ACTIVE = (S.REQUESTED, S.ACCEPTED, S.IN_PROGRESS, S.ON_HOLD)
_WORK = (S.IN_PROGRESS, S.ON_HOLD, S.COMPLETED, S.FAILED)


def _table() -> dict[tuple[str, str], frozenset[str]]:
    moves: dict[tuple[str, str], set[str]] = {}

    def add(sources: tuple[str, ...], targets: tuple[str, ...], *parties: str) -> None:
        for source in sources:
            for target in targets:
                if source != target:
                    moves.setdefault((source, target), set()).update(parties)

    add((S.DRAFT,), (S.REQUESTED,), SENDER)
    add((S.REQUESTED,), (S.ACCEPTED, S.REJECTED), RECIPIENT)
    add(_ACTIVE, (S.CANCELLED,), SENDER, RECIPIENT)
    add((S.ACCEPTED,), _WORK, RECIPIENT)
    add((S.IN_PROGRESS,), (S.ON_HOLD, S.COMPLETED, S.FAILED), RECIPIENT)
    add((S.ON_HOLD,), (S.IN_PROGRESS, S.COMPLETED, S.FAILED), RECIPIENT)
    add((S.REQUESTED,), (S.EXPIRED,), SYSTEM)
    add(tuple(S.values), (S.ENTERED_IN_ERROR,), SENDER)
    return {move: frozenset(parties) for move, parties in moves.items()}


TRANSITIONS: dict[tuple[str, str], frozenset[str]] = _table()

# A reason is required to land in these states.
REASON_REQUIRED = frozenset({S.REJECTED, S.CANCELLED, S.ON_HOLD, S.FAILED, S.ENTERED_IN_ERROR})

# No way out except `entered-in-error` (sender).
TERMINAL = frozenset(
    {S.REJECTED, S.CANCELLED, S.COMPLETED, S.FAILED, S.EXPIRED, S.ENTERED_IN_ERROR}
)


def is_allowed(*, source: str, target: str, party: str) -> bool:
    return party in TRANSITIONS.get((source, target), frozenset())


def allowed_moves(*, source: str, party: str) -> list[str]:
    """The statuses `party` may move a referral in `source` to, in table order."""
    return list(_MOVES.get((source, party), ()))


# allowed_moves per (source, party), from the table once: every list item asks (`S.values`
# rebuilds its list on each use).
_MOVES: dict[tuple[str, str], tuple[str, ...]] = {
    (source, party): moves
    for source in S.values
    for party in PARTIES
    if (moves := tuple(t for t in S.values if is_allowed(source=source, target=t, party=party)))
}
