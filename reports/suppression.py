"""Small-cell suppression, for any count of referrals that involve a victim service provider.

VAWA (34 U.S.C. 12291(b)(2)) lets a victim service provider share only aggregate, non-identifying
data about the people it serves; a count of 3 in a month can identify someone. So a table's
cells from 1 to `threshold - 1` are hidden (**primary** suppression). Hiding them is not enough
when the table's total is published: one hidden cell is the total minus the others. So further
cells are hidden (**complementary** suppression), smallest first, until the hidden cells'
values cannot be worked out from their sum: at least two of them, summing to at least the
threshold, and not all at the bound (two hidden cells under 11 summing to 20 are both 10).

Zeros stay visible (they identify no one) unless the whole table is small: when the total itself
is below the threshold, every cell and the total are hidden.
"""

from __future__ import annotations

from collections.abc import Sequence


def _determined(hidden: list[int], threshold: int) -> bool:
    """True if the hidden values could be recovered from their sum (plus each being 1..k-1)."""
    total, count = sum(hidden), len(hidden)
    if count == 1 or total < threshold or total == count:
        return True
    return max(hidden) < threshold and total == count * (threshold - 1)


def hide_small_cells(values: Sequence[int], *, threshold: int) -> list[bool]:
    """Which cells of one table to hide, its total being published. Pure: no I/O."""
    if 0 < sum(values) < threshold:
        return [True] * len(values)
    hidden = [0 < v < threshold for v in values]
    while any(hidden) and _determined(
        [v for v, h in zip(values, hidden, strict=True) if h], threshold
    ):
        rest = [(v, i) for i, v in enumerate(values) if not hidden[i] and v > 0]
        if not rest:  # cannot happen while the total is at least the threshold
            return [True] * len(values)
        hidden[min(rest)[1]] = True
    return hidden


def hide_grouped(values: Sequence[int], groups: Sequence[int], *, threshold: int) -> list[bool]:
    """As `hide_small_cells`, when each group's subtotal is published too (`groups[i]` is the
    group of cell i): each group is protected on its own."""
    hidden = [False] * len(values)
    for group in set(groups):
        members = [i for i, g in enumerate(groups) if g == group]
        for i, hide in zip(
            members,
            hide_small_cells([values[i] for i in members], threshold=threshold),
            strict=True,
        ):
            hidden[i] = hide
    return hidden


def is_small(count: int, *, threshold: int) -> bool:
    """A count that must not be shown (1 .. threshold-1)."""
    return 0 < count < threshold
