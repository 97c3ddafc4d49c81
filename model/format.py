"""Numbers for people: 20,000 leads, 18.4 %, $2.0M; a dash where there is no number."""

from __future__ import annotations

import math


def count(n: float) -> str:
    """A count of leads or events as people read it aloud: 20000 -> '20,000', the same
    on every card, table and chart."""
    return f"{n:,.0f}"


def human_count(n: float) -> str:
    """1234 -> '1.2k', 2_500_000 -> '2.5M'."""
    for size, suffix in ((1e9, "B"), (1e6, "M"), (1e3, "k")):
        if abs(n) >= size:
            return f"{n / size:.1f}{suffix}"
    return f"{n:,.0f}"


def money(x: float) -> str:
    """12_345 -> '$12.3k'; NaN -> '–'."""
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "–"
    return ("-$" if x < 0 else "$") + human_count(abs(x))


def percent(x: float, digits: int = 1) -> str:
    """0.1843 -> '18.4 %'; NaN -> '–'."""
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "–"
    return f"{100 * x:.{digits}f} %"


def confidence(p: float, *, sign: bool = True) -> str:
    """A lead confidence in whole percents, 0.284 -> '28 %'; one decimal where a whole
    percent would read 0 % or 100 % (0.999 -> '99.9 %'), which a calibrated confidence
    never promises. Without `sign`, the number alone ('99.9'), for a range."""
    if p is None or math.isnan(p):
        return "–"
    number = f"{100 * p:.0f}"
    if number in ("0", "100"):
        number = f"{100 * p:.1f}"
    return f"{number} %" if sign else number
