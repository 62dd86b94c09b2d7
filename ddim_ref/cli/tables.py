"""Tables the drivers write: CSV (full precision) and markdown (rounded), from lists of row dicts."""
from __future__ import annotations

import csv
import math
from pathlib import Path


def cell(value, digits: int | None = None) -> str:
    """Text of one value: floats to ``digits`` significant digits (None: all, as ``repr``), NaN as empty."""
    if isinstance(value, float):
        return "" if math.isnan(value) else (repr(value) if digits is None else f"{value:.{digits}g}")
    return "" if value is None else str(value)


def write_csv(rows, path, columns):
    """One line per row dict; ``columns`` in order, missing entries empty."""
    with open(path, "w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=list(columns), extrasaction="ignore", restval="")
        writer.writeheader()
        for row in rows:
            writer.writerow({k: cell(v) for k, v in row.items()})


def read_csv(path, floats=(), ints=()):
    """Rows of a CSV written by :func:`write_csv`, the named columns parsed (empty floats → NaN)."""
    with open(path) as f:
        rows = list(csv.DictReader(f))
    for row in rows:
        for k in floats:
            if k in row:
                row[k] = float(row[k]) if row[k] != "" else math.nan
        for k in ints:
            if k in row:
                row[k] = int(row[k])
    return rows


def markdown(header, rows, align=None) -> str:
    """A markdown table from a header list and rows of cell texts; numbers right-aligned by default."""
    align = align or ["---"] + ["---:"] * (len(header) - 1)
    lines = ["| " + " | ".join(map(str, header)) + " |", "|" + "|".join(align) + "|"]
    lines += ["| " + " | ".join(map(str, r)) + " |" for r in rows]
    return "\n".join(lines)


def mean_sd(values) -> tuple[float, float]:
    """Mean and sample standard deviation (ddof = 1; NaN for a single value)."""
    values = [float(v) for v in values]
    n = len(values)
    mean = sum(values) / n
    sd = math.sqrt(sum((v - mean) ** 2 for v in values) / (n - 1)) if n > 1 else math.nan
    return mean, sd


def pm(mean: float, sd: float, digits: int = 3) -> str:
    """'12.3 ± 0.4' (the sd omitted when it is NaN)."""
    return f"{mean:.{digits}g}" if math.isnan(sd) else f"{mean:.{digits}g} ± {sd:.2g}"


def write_text(path, text: str) -> Path:
    """Write ``text`` (a trailing newline added) and return the path."""
    path = Path(path)
    path.write_text(text.rstrip("\n") + "\n")
    return path
