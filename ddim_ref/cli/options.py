"""Option types for every subcommand: each checks its value at parse time and documents its range.

Every ``type=`` below is a callable for argparse that returns the parsed value or raises
``argparse.ArgumentTypeError`` with a one-line reason, so a bad value ends in one line on stderr
and exit code 2 before any work starts. Each also carries ``describe`` (the range, for the help
text) and ``bad_values`` (values it must refuse, which ``tests/test_cli_options.py`` feeds
through every option of every subcommand).

    add(parser, "--steps", integer(1, 1000), 50, "sampling steps S")
    # --steps S   sampling steps S; an integer in [1, 1000] (default 50)
"""
from __future__ import annotations

import argparse
import math
from pathlib import Path


class OptionType:
    """A parse-time check: ``__call__(text)`` → value, plus its description and values it refuses."""

    def __init__(self, parse, describe: str, bad_values=(), metavar: str | None = None):
        self.parse, self.describe, self.bad_values, self.metavar = parse, describe, tuple(bad_values), metavar

    def __call__(self, text):
        try:
            return self.parse(text)
        except ValueError as e:
            raise argparse.ArgumentTypeError(str(e) or f"expected {self.describe}, got {text!r}") from None

    def __repr__(self):  # argparse names the type in some messages
        return self.describe


def _interval(lo, hi) -> str:
    return f"in [{lo}, {hi}]" if hi is not None else f">= {lo}"


def _int(text, lo, hi):
    try:
        value = int(text)
    except (TypeError, ValueError):
        raise ValueError(f"expected an integer {_interval(lo, hi)}, got {text!r}") from None
    if value < lo or (hi is not None and value > hi):
        raise ValueError(f"expected an integer {_interval(lo, hi)}, got {text!r}")
    return value


def _float(text, lo, hi, lo_open):
    try:
        value = float(text)
    except (TypeError, ValueError):
        value = math.nan
    ok = math.isfinite(value) and (value > lo if lo_open else value >= lo) and (hi is None or value <= hi)
    if not ok:
        raise ValueError(f"expected a finite number {_float_interval(lo, hi, lo_open)}, got {text!r}")
    return value


def _float_interval(lo, hi, lo_open):
    if hi is None:
        return f"> {lo}" if lo_open else f">= {lo}"
    return f"in {'(' if lo_open else '['}{lo}, {hi}]"


def integer(lo: int, hi: int | None) -> OptionType:
    """An integer in [lo, hi] (hi None: no upper bound)."""
    bad = ["x", str(lo - 1)] + ([str(hi + 1)] if hi is not None else [])
    return OptionType(lambda t: _int(t, lo, hi), f"an integer {_interval(lo, hi)}", bad, "N")


def number(lo: float, hi: float | None = None, lo_open: bool = False) -> OptionType:
    """A finite float in [lo, hi] (or (lo, hi] with ``lo_open``)."""
    bad = ["x", "nan", "inf", str(lo if lo_open else lo - 1)] + ([str(hi + 1)] if hi is not None else [])
    return OptionType(lambda t: _float(t, lo, hi, lo_open), f"a finite number {_float_interval(lo, hi, lo_open)}",
                      bad, "X")


def choice(choices, cast=str) -> OptionType:
    """One of ``choices`` (texts), returned through ``cast``."""
    choices = tuple(choices)

    def parse(text):
        if text not in choices:
            raise ValueError(f"expected one of {', '.join(choices)}, got {text!r}")
        return cast(text)

    return OptionType(parse, f"one of {', '.join(choices)}", ["nope"], "NAME")


def listing(item: OptionType, min_len: int = 1) -> OptionType:
    """A comma-separated list of ``item`` values (at least ``min_len``)."""

    def parse(text):
        parts = [p.strip() for p in str(text).split(",") if p.strip()]
        if len(parts) < min_len:
            raise ValueError(f"expected a comma-separated list of {item.describe}, got {text!r}")
        try:
            return [item.parse(p) for p in parts]
        except ValueError as e:
            raise ValueError(f"in the list {text!r}: {e}") from None

    bad = [","] + ([f"{item.bad_values[0]},{item.bad_values[-1]}"] if item.bad_values else [])
    return OptionType(parse, f"a comma-separated list, each {item.describe}", bad, "A,B,...")


def _output(text, suffixes):
    path = Path(text)
    if suffixes and path.suffix.lower() not in suffixes:
        raise ValueError(f"expected a file name ending in {' or '.join(suffixes)}, got {text!r}")
    for parent in [path, *path.parents] if not suffixes else list(path.parents):
        if parent.exists():
            if not parent.is_dir():
                raise ValueError(f"cannot write under {parent}: it is a file, not a folder")
            break
    if suffixes and path.is_dir():
        raise ValueError(f"{text!r} is a folder; expected a file name")
    return path


def output_dir() -> OptionType:
    """A folder to write into (made if missing); refused when it, or a parent, is a file."""
    return OptionType(lambda t: _output(t, ()), "an output folder", ["/dev/null/out"], "DIR")


def output_file(*suffixes: str) -> OptionType:
    """A file to write, ending in one of ``suffixes``; refused when a parent is a file."""
    return OptionType(lambda t: _output(t, tuple(s.lower() for s in suffixes)),
                      f"an output file ending in {' or '.join(suffixes)}", ["/dev/null/x" + suffixes[0], "x.txt"],
                      "FILE")


def _existing(text):
    path = Path(text)
    if not path.exists():
        raise ValueError(f"not found: {text}")
    return path


def existing_path(what: str = "file") -> OptionType:
    """A file or folder that exists (read only)."""
    return OptionType(_existing, f"an existing {what}", ["/nonexistent/ddim_ref"], "PATH")


def add(parser, flag, type_: OptionType, default, help_: str, **kwargs):
    """``parser.add_argument`` with the range and the default written into the help text (``flag``: one or a tuple)."""
    shown = "none" if default is None else (",".join(map(str, default)) if isinstance(default, (list, tuple))
                                            else default)
    flags = (flag,) if isinstance(flag, str) else tuple(flag)
    parser.add_argument(*flags, type=type_, default=default, metavar=kwargs.pop("metavar", type_.metavar),
                        help=f"{help_}; {type_.describe} (default {shown})", **kwargs)


def flag(parser, name: str, help_: str):
    """A store-true switch."""
    parser.add_argument(name, action="store_true", help=help_)
