"""The one way to read referrals: scoped to the sending or receiving agency (others: 404)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from django.db.models import Count, OuterRef, Q, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce

from core.actor import Actor
from core.errors import NotFound, ValidationFailed
from core.joined import Joined
from core.roles import CASE_ROLES, Scope
from referrals.models import Referral, ReferralMessage, ReferralReadMark, ReferralStatus
from referrals.priorities import priority_rank
from referrals.states import RECIPIENT, SENDER

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
INBOX = "inbox"
OUTBOX = "outbox"
NEWEST = "newest"
BY_PRIORITY = "priority"  # stat first, then the nearest deadline (the inbox's default)
PRIORITY_ORDER = ("priority_rank", "response_deadline", "-created_at", "-id")


def _may(actor: Actor, write: bool) -> bool:
    scope = Scope.REFERRALS_WRITE if write else Scope.REFERRALS_READ
    return actor.agency_id is not None and actor.may(roles=CASE_ROLES, scope=scope)


def may_change(actor: Actor) -> bool:
    """Case roles, or an integration with `referrals:write`."""
    return _may(actor, write=True)


def referral_qs_for(
    actor: Actor, *, box: str | None = None, write: bool = False
) -> QuerySet[Referral]:
    """Referrals the actor's agency sent (`outbox`) or received (`inbox`; never drafts).

    `write=True` checks the `referrals:write` scope instead of `referrals:read` (integrations).
    """
    if not _may(actor, write) or actor.agency_id is None:
        return Referral.objects.none()
    return Referral.objects.filter(agency_referrals_q(actor.agency_id, box)).select_related(
        "sender_agency", "recipient_agency", "program"
    )


def agency_referrals_q(agency_id: uuid.UUID, box: str | None) -> Q:
    """The tenancy rule: what an agency sent (`outbox`), received (`inbox`, never drafts), or
    both. Shared with the outcome reports (`reports/`), which count without reading."""
    sent = Q(sender_agency_id=agency_id)
    received = Q(recipient_agency_id=agency_id) & ~Q(status=ReferralStatus.DRAFT)
    scope = {INBOX: received, OUTBOX: sent, None: sent | received}.get(box)
    if scope is None:
        raise ValidationFailed("box must be inbox or outbox.", field="box")
    return scope


def referral_list_for(
    actor: Actor,
    *,
    box: str | None = None,
    status: str | None = None,
    priority: str | None = None,
    updated_after: datetime | None = None,
    sort: str | None = None,
) -> QuerySet[Referral]:
    """The actor's referrals, filtered, with what a list item shows (the consent and client
    for the display-name decision, `unread_messages`); the caller paginates. `sort`: `newest`
    (the default) or `priority` (the inbox's default): annotated `priority_rank`, for the
    cursor to order by."""
    qs = referral_qs_for(actor, box=box).select_related("consent", "client", "client__data_key")
    if actor.agency_id is not None:
        qs = qs.annotate(unread_messages=_unread(actor.agency_id))
    if referral_sort(box=box, sort=sort) == BY_PRIORITY:
        qs = qs.annotate(priority_rank=priority_rank()).order_by(*PRIORITY_ORDER)
    else:
        qs = qs.order_by("-created_at", "-id")
    if status:
        qs = qs.filter(status=status)
    if priority:
        qs = qs.filter(priority=priority)
    if updated_after:
        qs = qs.filter(updated_at__gt=updated_after)
    return qs


def _unread(agency_id: uuid.UUID) -> Coalesce:
    """Messages from the other agency newer than `agency_id` last read the thread."""
    mark = ReferralReadMark.objects.filter(
        referral=OuterRef("referral"), agency_id=agency_id
    ).values("last_read_at")[:1]
    theirs = (
        ReferralMessage.objects.filter(referral=OuterRef("pk"))
        .exclude(agency_id=agency_id)
        .filter(created_at__gt=Coalesce(Subquery(mark), Value(EPOCH)))
        .order_by()
        .values("referral")
        .annotate(n=Count("id"))
        .values("n")
    )
    return Coalesce(Subquery(theirs), Value(0))


def referral_sort(*, box: str | None, sort: str | None) -> str:
    """The order a list asked for, else its default: the inbox by priority, others newest."""
    if sort not in (None, NEWEST, BY_PRIORITY):
        raise ValidationFailed("sort must be newest or priority.", field="sort")
    return sort or (BY_PRIORITY if box == INBOX else NEWEST)


# What a read of one referral needs, fetched in one statement built once from the models
# (`core.joined`): the ORM compiled the same six-table select_related on every call.
DETAIL_RELATED = (
    "sender_agency",
    "recipient_agency",
    "program",
    "consent",
    "client",
    "client__data_key",
)
_DETAIL = Joined(Referral, *DETAIL_RELATED, where=("pk",))


def referral_get_for(*, actor: Actor, referral_id: uuid.UUID, write: bool = False) -> Referral:
    """One referral the actor's agency sent or received; missing and not-yours are one 404.

    A primary-key lookup of the referral with its agencies, program, consent, client and the
    client's wrapped key (one statement), then the same rule as `referral_qs_for` checked on
    the row (cheaper than the OR query for one row).
    """
    if not _may(actor, write):
        raise NotFound()
    referral = _DETAIL.fetch(referral_id)
    if referral is None or not _is_party(actor, referral):
        raise NotFound()
    return referral  # type: ignore[no-any-return]


def _is_party(actor: Actor, referral: Referral) -> bool:
    if referral.sender_agency_id == actor.agency_id:
        return True
    return (
        referral.recipient_agency_id == actor.agency_id and referral.status != ReferralStatus.DRAFT
    )


def party_of(actor: Actor, referral: Referral) -> str | None:
    """`sender`, `recipient` or None (not a party)."""
    if actor.agency_id is None:
        return None
    if actor.agency_id == referral.sender_agency_id:
        return SENDER
    if actor.agency_id == referral.recipient_agency_id:
        return RECIPIENT
    return None


def other_party(referral: Referral, party: str) -> uuid.UUID:
    """The agency on the other side of the referral from `party`."""
    return referral.recipient_agency_id if party == SENDER else referral.sender_agency_id


def referral_messages(*, referral: Referral) -> QuerySet[ReferralMessage]:
    """Messages on a referral already scoped by `referral_get_for` (newest first)."""
    return ReferralMessage.objects.filter(referral=referral).select_related("agency", "author_user")


def thread_last_read(*, actor: Actor, referral: Referral) -> datetime | None:
    """When the actor's agency last read the other agency's messages on a referral already
    scoped by `referral_get_for` (the mark the unread count uses); None if never."""
    if actor.agency_id is None:
        return None
    mark = ReferralReadMark.objects.filter(referral=referral, agency_id=actor.agency_id)
    return mark.values_list("last_read_at", flat=True).first()
