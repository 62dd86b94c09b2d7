"""Argument checks shared by the whole package: one message style, one place.

Each check returns the value in its plain Python form (``int``, ``float``) or raises a
one-line ``ValueError`` that names the argument, the allowed range and what was given.
NumPy scalars count as numbers; ``bool`` does not (``True`` is no step count).
"""
from __future__ import annotations

import math
from numbers import Integral, Real


def _interval(lo, hi, lo_open=False, hi_open=False) -> str:
    if hi is None:
        return f"> {lo}" if lo_open else f">= {lo}"
    if lo is None:
        return f"< {hi}" if hi_open else f"<= {hi}"
    return f"in {'(' if lo_open else '['}{lo}, {hi}{')' if hi_open else ']'}"


def check_int(name: str, value, lo: int | None = None, hi: int | None = None, hint: str = "") -> int:
    """``value`` as an int in [lo, hi] (either bound may be None)."""
    ok = isinstance(value, Integral) and not isinstance(value, bool)
    if ok and (lo is None or value >= lo) and (hi is None or value <= hi):
        return int(value)
    if lo == 1 and hi is None:
        what = "a positive integer"
    elif lo is None and hi is None:
        what = "an integer"
    else:
        what = f"an integer {_interval(lo, hi)}"
    raise ValueError(f"{name} must be {what}{f' {hint}' if hint else ''}, got {value!r}")


def check_number(name: str, value, lo: float | None = None, hi: float | None = None, *, lo_open: bool = False,
                 hi_open: bool = False, hint: str = "") -> float:
    """``value`` as a finite float within the interval (open ends where asked)."""
    ok = isinstance(value, Real) and not isinstance(value, bool) and math.isfinite(value)
    if ok and (lo is None or (value > lo if lo_open else value >= lo)) \
            and (hi is None or (value < hi if hi_open else value <= hi)):
        return float(value)
    bounds = "" if lo is None and hi is None else f" {_interval(lo, hi, lo_open, hi_open)}"
    raise ValueError(f"{name} must be a finite number{bounds}{f' {hint}' if hint else ''}, got {value!r}")


def check_choice(name: str, value, choices, what: str | None = None) -> str:
    """``value`` if it is one of ``choices``, else a ValueError listing them."""
    if value in choices:
        return value
    raise ValueError(f"unknown {what or name} {value!r}; choose one of {', '.join(map(str, choices))}")
