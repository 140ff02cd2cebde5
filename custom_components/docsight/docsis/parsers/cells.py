"""What the page parsers share: a cell's text, the number in it, an uptime.

Modem status pages put a value and its unit in one cell ("570.00 MHz",
"4.9 dBmV") and mark an absent value with dashes or "N/A"; the parsers of
several families (Arris CM3500B and CM8200A, Technicolor TC4400) read cells
the same way, here.  Uptimes come in a different text per family, but always
as days, hours, minutes and seconds: each family keeps its pattern, the
arithmetic is here.
"""

from __future__ import annotations

import html
import math
import re

_TAG = re.compile(r"<[^>]*>")
_NUMBER = re.compile(r"[-+]?\d+(?:\.\d+)?")


def cell_text(cell: str) -> str:
    """Return a cell's text: tags dropped, entities decoded, whitespace collapsed."""
    return " ".join(html.unescape(_TAG.sub(" ", cell)).split())


def cell_number(text: str, what: str) -> float | None:
    """Return the first number in a cell ("570.00 MHz" -> 570.0); None for "----", "N/A" or empty.

    Raises:
        ValueError: the cell holds something else (``what`` names the field).
    """
    match = _NUMBER.search(text)
    if match is None:
        if text.strip("- ").lower() in ("", "n/a", "na"):
            return None
        raise ValueError(f"{what} is not a number: {text!r}")
    value = float(match.group())
    if not math.isfinite(value):  # pragma: no cover - the pattern only matches finite numbers
        raise ValueError(f"{what} is not a finite number: {text!r}")
    return value


def uptime_seconds(pattern: re.Pattern[str], text: str | None) -> int | None:
    """Return the seconds of an uptime text; None when absent or unreadable.

    ``pattern`` has four groups, days, hours, minutes and seconds, each of
    which may be missing from the text (an unmatched group counts as 0).
    """
    if not text:
        return None
    match = pattern.search(text)
    if match is None:
        return None
    days, hours, minutes, seconds = (int(group or 0) for group in match.groups())
    return days * 86400 + hours * 3600 + minutes * 60 + seconds
