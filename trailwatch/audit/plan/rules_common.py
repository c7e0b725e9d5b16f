"""What the review rules share: their types and the comparisons of one attribute's before and
after.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

from trailwatch.audit.plan.masking import show
from trailwatch.audit.plan.parse import ResourceChange, unset
from trailwatch.audit.plan.report import Kind

Flag = tuple[Kind, str]
Rule = Callable[[ResourceChange], Iterator[Flag]]


def turned_off(c: ResourceChange, attribute: str) -> bool:
    return (
        c.action in ("update", "replace")
        and c.before.get(attribute) is True
        and c.known(attribute)
        and c.after.get(attribute) in (False, None)
    )


def removed(c: ResourceChange, attribute: str) -> bool:
    return (
        c.action in ("update", "replace")
        and not unset(c.before.get(attribute))
        and c.known(attribute)
        and unset(c.after.get(attribute))
    )


def numbers(c: ResourceChange, attribute: str) -> tuple[float, float] | None:
    """Before and after of a numeric attribute, when both are known numbers."""
    if c.action not in ("update", "replace") or not c.known(attribute):
        return None
    before, after = c.before.get(attribute), c.after.get(attribute)
    if isinstance(before, int | float) and isinstance(after, int | float):
        return float(before), float(after)
    return None


def changed_to(c: ResourceChange, attribute: str) -> str:
    return f"{show(c.shown_before(attribute))} → {show(c.shown_after(attribute))}"
