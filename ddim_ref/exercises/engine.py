"""The checker engine: run a learner's function against the reference and name the mistake.

A checker calls the learner's function on a few seeded random inputs, compares it with the
reference (the library's own function) and, when it differs, matches the output against the
typical wrong formulas to say precisely what is wrong. It prints one line — ✓, ✗ with a
diagnosis, or "not implemented yet" when the function raises ``NotImplementedError`` — and
returns a :class:`CheckResult`. It never raises on a wrong answer, so notebook outputs are
deterministic. Each notebook's checkers are one module beside this one, built on :func:`compare`.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

RTOL, ATOL = 1e-5, 1e-8  # loose enough for float32 work, far tighter than any typical mistake


@dataclass(frozen=True)
class CheckResult:
    """The verdict of one checker: ``ok`` (also its truth value), ``status`` and the printed ``message``."""

    ok: bool
    status: str  # "correct", "wrong" or "not implemented"
    message: str

    def __bool__(self) -> bool:
        return self.ok

    def _ipython_display_(self):
        """Show nothing in a notebook: the checker has already printed its verdict."""


# ---------------------------------------------------------------- the comparison engine
class Wrong(Exception):
    """Raised inside the engine (never to the learner) to stop at the first wrong trial."""


def _as_array(out, who):
    if isinstance(out, tuple):
        raise Wrong(f"your function returned a tuple of {len(out)}; return only {who}")
    try:
        return np.asarray(out, dtype=np.float64)
    except (TypeError, ValueError):
        raise Wrong(f"your function returned {type(out).__name__}, not an array ({who})") from None


def _copies(args):
    return tuple(a.copy() if isinstance(a, np.ndarray) else a for a in args)


def _try(formula, args):
    """A known formula's output on ``args``, or None where it fails there (e.g. a step it cannot take)."""
    try:
        return formula(*_copies(args))
    except (ValueError, ZeroDivisionError, FloatingPointError):
        return None


def _close(a, b) -> bool:
    if b is None:
        return False
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    if a.shape != b.shape:
        return False
    with np.errstate(invalid="ignore"):
        return bool(np.allclose(a, b, rtol=RTOL, atol=ATOL, equal_nan=True))


def _factor_hint(out, ref, factors) -> str | None:
    """'is off by a factor √ᾱ_t' when ``out`` is ``ref`` times a named quantity (or its inverse)."""
    mask = np.abs(ref) > 1e-6
    if not mask.any() or not np.all(np.isfinite(out)):
        return None
    k = out[mask] / ref[mask]
    if np.ptp(k) > 1e-6 * max(1.0, abs(np.median(k))):
        return None
    k = float(np.median(k))
    if np.isclose(k, -1.0):
        return "has the wrong sign"
    for name, value in factors.items():
        if np.isclose(k, value, rtol=1e-6):
            return f"is off by a factor {name}"
        if value != 0 and np.isclose(k, 1 / value, rtol=1e-6):
            return f"is off by a factor 1/{name}"
    return f"is off by a constant factor {k:.4g}"


def compare(name, fn, trials, reference, mistakes=(), accepted=(), factors=lambda *args: {}, what="the result",
           nan_hint=""):
    """Run ``fn`` on each trial's args; compare with ``reference``; diagnose with ``mistakes``.

    ``mistakes`` and ``accepted`` are ``(message, wrong_fn)`` pairs with ``fn``'s signature;
    an accepted variant passes with its message as a note.
    """
    if not callable(fn):
        raise ValueError(f"{name} expects your function, got {type(fn).__name__}")
    notes = []
    try:
        for args in trials:
            try:
                with np.errstate(all="ignore"):
                    raw = fn(*_copies(args))  # a learner's in-place update must not touch the reference's inputs
            except NotImplementedError:
                return verdict(name, "not implemented",
                               "not implemented yet (your function raises NotImplementedError)")
            except Exception as e:  # the learner's bug, reported rather than raised
                raise Wrong(f"your function raised {type(e).__name__}: {e}") from None
            out = _as_array(raw, what)
            ref = np.asarray(reference(*args), dtype=np.float64)
            if _close(out, ref):
                continue
            with np.errstate(all="ignore"):
                for message, variant in accepted:
                    if _close(out, _try(variant, args)):
                        notes.append(message)
                        break
                else:
                    for message, wrong in mistakes:
                        if _close(out, _try(wrong, args)):
                            raise Wrong(message)
                    if out.shape != ref.shape:
                        raise Wrong(f"{what} has shape {out.shape}, expected {ref.shape}")
                    if not np.all(np.isfinite(out)):
                        raise Wrong(f"{what} contains NaN or inf where the reference is finite{nan_hint}")
                    hint = _factor_hint(out, ref, factors(*args))
                    err = float(np.max(np.abs(out - ref)))
                    raise Wrong(f"{what} {hint}" if hint else f"{what} is wrong: max |error| = {err:.3g} "
                                 f"(expected {ref.ravel()[0]:.6g}, got {out.ravel()[0]:.6g} at the first entry)")
    except Wrong as e:
        return verdict(name, "wrong", str(e))
    note = f" ({notes[0]})" if notes else ""
    return verdict(name, "correct", f"correct on {len(trials)} random inputs{note}")


def verdict(name, status, message) -> CheckResult:
    mark = {"correct": "✓", "wrong": "✗", "not implemented": "…"}[status]
    line = f"{mark} {name}: {message}"
    print(line)
    return CheckResult(status == "correct", status, line)


def level_pairs(rng, n):
    """n pairs ᾱ_t < ᾱ_prev in (0.02, 0.98), as Python floats."""
    pairs = np.sort(rng.uniform(0.02, 0.98, size=(n, 2)), axis=1)
    return [(np.float64(a), np.float64(b)) for a, b in pairs]  # NaN, not complex, from a wrong √(negative)


def normal(rng, shape=(4, 3)):
    return rng.standard_normal(shape)
