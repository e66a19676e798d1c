"""Keyboard-only driving: every step reaches its control with Tab and acts with Enter, Space or
the arrow keys, as a person without a mouse would. Each control reached must show its focus."""

from __future__ import annotations

from typing import Any

TAB_LIMIT = 120
FOCUS_VISIBLE = """() => {
  const el = document.activeElement;
  const s = window.getComputedStyle(el);
  return (s.outlineStyle !== 'none' && parseFloat(s.outlineWidth) > 0) || s.boxShadow !== 'none'
    || s.backgroundColor === 'rgb(255, 221, 0)';
}"""


def tab_to(page: Any, selector: str) -> None:
    """Press Tab until `selector` has the focus (fails if it is not reachable or shows no focus)."""
    target = page.locator(selector).first.element_handle()
    for _ in range(TAB_LIMIT):
        page.keyboard.press("Tab")
        if page.evaluate("el => document.activeElement === el", target):
            assert page.evaluate(FOCUS_VISIBLE), f"{selector} has no visible focus"
            return
    raise AssertionError(f"{selector} cannot be reached with the keyboard")


def activate(page: Any, selector: str) -> None:
    tab_to(page, selector)
    page.keyboard.press("Enter")


def type_into(page: Any, selector: str, text: str) -> None:
    tab_to(page, selector)
    page.keyboard.type(text)


def tick(page: Any, selector: str) -> None:
    tab_to(page, selector)
    page.keyboard.press("Space")


def choose_radio(page: Any, name: str, value: str) -> None:
    """Tab into the radio group, then move with the arrow keys until `value` is chosen."""
    tab_to(page, f"input[type=radio][name='{name}']")
    wanted = f"input[type=radio][name='{name}'][value='{value}']"
    for _ in range(20):
        if page.evaluate("s => document.activeElement.matches(s)", wanted):
            page.keyboard.press("Space")
            break
        page.keyboard.press("ArrowDown")
    assert page.is_checked(wanted), f"could not choose {value} for {name}"


def pick(page: Any, selector: str, value: str) -> None:
    """Focus a <select> and move with the arrow keys to `value`."""
    tab_to(page, selector)
    for _ in range(40):
        if page.eval_on_selector(selector, "el => el.value") == value:
            return
        page.keyboard.press("ArrowDown")
    raise AssertionError(f"{value} not reachable in {selector}")
