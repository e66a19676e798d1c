"""The one way to read referrals: scoped to the sending or receiving agency (others: 404)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from django.db import connections
from django.db.models import BinaryField, Count, Field, OuterRef, Q, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce

from clients.categories import Category
from clients.fields import column_of
from core.actor import Actor
from core.errors import NotFound, ValidationFailed
from core.joined import Joined
from core.pages import Pages
from core.roles import CASE_ROLES, Scope
from referrals.models import Referral, ReferralMessage, ReferralReadMark, ReferralStatus
from referrals.priorities import RANK, priority_rank
from referrals.states import RECIPIENT, SENDER

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
INBOX = "inbox"
OUTBOX = "outbox"
BOXES = (INBOX, OUTBOX, None)  # None: both
NEWEST = "newest"
BY_PRIORITY = "priority"  # stat first, then the nearest deadline (the inbox's default)
PRIORITY_ORDER = ("priority_rank", "response_deadline", "-created_at", "-id")
NEWEST_ORDER = ("-created_at", "-id")


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
    qs = qs.defer(*(f"{path}__{n}" if path else n for path, ns in LIST_UNSHOWN.items() for n in ns))
    if actor.agency_id is not None:
        qs = qs.annotate(unread_messages=_unread(actor.agency_id))
    if referral_sort(box=box, sort=sort) == BY_PRIORITY:
        qs = qs.annotate(priority_rank=priority_rank()).order_by(*PRIORITY_ORDER)
    else:
        qs = qs.order_by(*NEWEST_ORDER)
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


def referral_pages_for(
    actor: Actor,
    *,
    box: str | None = None,
    status: str | None = None,
    priority: str | None = None,
    updated_after: datetime | None = None,
    sort: str | None = None,
) -> Pages | QuerySet[Referral]:
    """`referral_list_for` for a cursor paginator. Unfiltered (the inbox a partner polls), its
    pages come from one statement built once per box and order (`_LIST`: the ORM compiled the
    joins, the unread count and the rank on every request), the ORM queryset standing behind it
    for a cursor's position; filtered, the ORM queryset itself."""

    def orm() -> QuerySet[Referral]:
        return referral_list_for(
            actor, box=box, status=status, priority=priority, updated_after=updated_after, sort=sort
        )

    agency_id = actor.agency_id
    if status or priority or updated_after or box not in BOXES or not _may(actor, False):
        return orm()
    assert agency_id is not None  # _may
    ordering = PRIORITY_ORDER if referral_sort(box=box, sort=sort) == BY_PRIORITY else NEWEST_ORDER

    def fetch(limit: int, offset: int) -> list[Any]:
        sql, params, extra = _list_statement(box, ordering, agency_id)
        return _LIST.fetch_all(sql, [*params, limit, offset], extra=extra)

    return Pages(ordering, fetch=fetch, orm=orm)


# The list's statement, the same rows and order as `referral_list_for`'s queryset (tests compare
# them for every box and order): the tenancy rule compiled from `agency_referrals_q` itself
# (`_scope_sql`), the unread count of `_unread`, the rank of `priority_rank()`; values are
# parameters.
_ANY_AGENCY = uuid.UUID(int=0)  # stands for the caller's agency while the rule is compiled
_SCOPE: dict[tuple[str | None, str], tuple[str, list[Any], list[bool]]] = {}


def _scope_sql(box: str | None, using: str) -> tuple[str, list[Any], list[bool]]:
    """`agency_referrals_q(agency, box)` as SQL on the list's `t0`, compiled once per box by
    the ORM (no second copy of the rule to keep in step): (SQL, its parameters, which of them
    are the caller's agency)."""
    key = (box, using)
    if key not in _SCOPE:
        connection = connections[using]
        query = Referral.objects.filter(agency_referrals_q(_ANY_AGENCY, box)).query
        sql, params = query.get_compiler(using=using).compile(query.where)
        table = connection.ops.quote_name(Referral._meta.db_table)
        sql = sql.replace(f"{table}.", "t0.")
        assert Referral._meta.db_table not in sql, "the tenancy rule reads the referral alone"
        agency = Referral._meta.get_field("sender_agency").get_db_prep_value(
            _ANY_AGENCY, connection
        )
        _SCOPE[key] = (sql, list(params), [p == agency for p in params])
    return _SCOPE[key]


_UNREAD_SQL = (
    "COALESCE((SELECT COUNT(m.id) FROM referrals_referralmessage m"
    " WHERE m.referral_id = t0.id AND NOT (m.agency_id = %s) AND m.created_at > COALESCE("
    "(SELECT r.last_read_at FROM referrals_referralreadmark r"
    " WHERE r.agency_id = %s AND r.referral_id = m.referral_id LIMIT 1), %s)), 0)"
    " AS unread_messages"
)
_RANK_CASE = (
    "CASE "
    + " ".join(f"WHEN t0.priority = %s THEN {rank:d}" for rank in RANK.values())
    + f" ELSE {len(RANK):d} END"
)


def _list_statement(
    box: str | None, ordering: tuple[str, ...], agency_id: uuid.UUID, using: str = "default"
) -> tuple[str, list[Any], tuple[str, ...]]:
    """(SQL, parameters but the LIMIT and OFFSET, the annotated names) of one list page.

    The page is chosen from the referrals alone (the order is theirs), then joined to the other
    tables: joining every row of the box before the sort threw all but a page of them away
    (the server's CPU grew with the box, e.g. 288 rows joined for 51 shown)."""
    connection = connections[using]
    agency = Referral._meta.get_field("sender_agency").get_db_prep_value(agency_id, connection)
    epoch = ReferralMessage._meta.get_field("created_at").get_db_prep_value(EPOCH, connection)
    where, fixed, is_agency = _scope_sql(box, using)
    scope = [agency if mine else value for value, mine in zip(fixed, is_agency, strict=True)]
    columns, params = [_UNREAD_SQL], [agency, agency, epoch]
    extra: tuple[str, ...] = ("unread_messages",)
    ranks: list[str] = []  # the rank's parameters, in the page's ORDER BY
    if ordering == PRIORITY_ORDER:
        ranks = list(RANK)
        columns, params = [*columns, f"{_RANK_CASE} AS priority_rank"], [*params, *ranks]
        extra = (*extra, "priority_rank")
    key = (box, ordering, using)
    if key not in _LIST_SQL:
        table = connection.ops.quote_name(Referral._meta.db_table)
        page = (
            f"SELECT t0.* FROM {table} t0 WHERE {where}"  # noqa: S608 (compiled; values are parameters)
            f" ORDER BY {_order(ordering, rank=_RANK_CASE)} LIMIT %s OFFSET %s"
        )
        select = _LIST.select(*columns, root=page, using=using)
        _LIST_SQL[key] = f"{select} ORDER BY {_order(ordering, rank='priority_rank')}"
    return _LIST_SQL[key], [*params, *scope, *ranks], extra


def _order(ordering: tuple[str, ...], *, rank: str) -> str:
    """`-created_at` -> `t0.created_at DESC`, ...; the priority rank as `rank` says (its
    expression, or the name of the annotated column)."""
    terms = []
    for name in ordering:
        field = name.lstrip("-")
        if field == "priority_rank":
            field = rank
        else:
            found = Referral._meta.get_field(field)
            assert isinstance(found, Field), f"order by a column of the referral, not {field}"
            field = f"t0.{found.column}"
        terms.append(f"{field} {'DESC' if name.startswith('-') else 'ASC'}")
    return ", ".join(terms)


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
# The sealed (encrypted) columns a list item reads: the client's identity (its display name)
# and the data key that opens it. The list leaves every other sealed column out (the referral's
# reason, the consent's free text, the client's other categories): the server spent about a
# fifth of the page's CPU hex-encoding them for nothing. A sealed column added later is left out
# too; a list that came to show one would cost a query per item (the query-count tests say so).
LIST_SEALED_SHOWN = (("client", column_of(Category.IDENTITY)), ("client__data_key", "wrapped"))


def _list_unshown() -> dict[str, tuple[str, ...]]:
    """{path: the sealed columns of that path's model a list item does not read}."""
    unshown = {}
    for path in ("", *DETAIL_RELATED):
        model: Any = Referral
        for name in filter(None, path.split("__")):
            model = model._meta.get_field(name).related_model
        fields = model._meta.concrete_fields
        sealed = [f.name for f in fields if isinstance(f, BinaryField)]
        unshown[path] = tuple(n for n in sealed if (path, n) not in LIST_SEALED_SHOWN)
    return {path: names for path, names in unshown.items() if names}


LIST_UNSHOWN = _list_unshown()
_DETAIL = Joined(Referral, *DETAIL_RELATED, where=("pk",))
_LIST = Joined(Referral, *DETAIL_RELATED, defer=LIST_UNSHOWN)  # the same tables, fewer columns
_LIST_SQL: dict[tuple[str | None, tuple[str, ...], str], str] = {}


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
