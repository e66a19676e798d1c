"""Small-cell suppression, for any count of referrals that involve a victim service provider.

VAWA (34 U.S.C. 12291(b)(2)) lets a victim service provider share only aggregate, non-identifying
data about the people it serves; a count of 3 in a month can identify someone. So a table's
cells from 1 to `threshold - 1` are hidden (**primary** suppression). Hiding them is not enough
when the table's total is published: one hidden cell is the total minus the others. So further
cells are hidden (**complementary** suppression), smallest non-zero first, then zeros, until no
hidden cell can be worked out from the hidden cells' sum, whether the reader takes the `<11`
marker at its word (each hidden cell 1..10) or not (two hidden cells summing to 20 would both be
10, so a third goes too). Zeros are otherwise shown: they identify no one.

When the total itself is below the threshold, or no choice of cells protects the small ones
while the total is known, the table cannot be shown with its total: `hide_small_cells` answers
None and the report hides everything, the total too.
"""

from __future__ import annotations

from collections.abc import Sequence


def recoverable(hidden: Sequence[int], threshold: int) -> bool:
    """Could a reader who knows the sum of these hidden values pin one of them down?

    The reader may assume each hidden cell is at least 1 (zeros are usually shown) and at most
    `threshold - 1` (the marker); a conclusion from an assumption the true values break is no
    leak, so only assumptions the true values satisfy are tried.
    """
    total, count = sum(hidden), len(hidden)
    if count == 1 or total < threshold:
        return True
    lows = [0] if 0 in hidden else [0, 1]
    highs = [total] if max(hidden) >= threshold else [threshold - 1, total]
    for low in lows:
        for high in highs:
            if max(low, total - (count - 1) * high) == min(high, total - (count - 1) * low):
                return True
    return False


def _next(values: Sequence[int], hidden: list[bool]) -> int | None:
    """The cell to hide next: the smallest visible non-zero one, else a visible zero."""
    rest = [(v == 0, v, i) for i, v in enumerate(values) if not hidden[i]]
    return min(rest)[2] if rest else None


def hide_small_cells(values: Sequence[int], *, threshold: int) -> list[bool] | None:
    """Which cells of one table to hide, its total being published; None if that cannot be
    done safely (the total must be hidden too). Pure: no I/O."""
    if 0 < sum(values) < threshold:
        return None
    hidden = [0 < v < threshold for v in values]
    while any(hidden) and recoverable(
        [v for v, h in zip(values, hidden, strict=True) if h], threshold
    ):
        cell = _next(values, hidden)
        if cell is None:
            return None
        hidden[cell] = True
    return hidden


def hide_grouped(
    values: Sequence[int], groups: Sequence[int], *, threshold: int
) -> list[bool] | None:
    """As `hide_small_cells`, when each group's subtotal is published too (`groups[i]` is the
    group of cell i): each group is protected on its own. None if one cannot be."""
    hidden = [False] * len(values)
    for group in sorted(set(groups)):
        members = [i for i, g in enumerate(groups) if g == group]
        part = [values[i] for i in members]
        plan = (
            [False] * len(part) if sum(part) == 0 else hide_small_cells(part, threshold=threshold)
        )
        if plan is None:
            return None
        for i, hide in zip(members, plan, strict=True):
            hidden[i] = hide
    return hidden


def is_small(count: int, *, threshold: int) -> bool:
    """A count that must not be shown (1 .. threshold-1)."""
    return 0 < count < threshold
