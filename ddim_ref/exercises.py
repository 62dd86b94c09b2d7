"""Self-checking exercises for the notebooks: run a learner's function against the library.

Each ``check_*`` calls the learner's function on a few seeded random inputs, compares it with
the reference (the library's own function) and, when it differs, matches the output against
the typical wrong formulas to say precisely what is wrong. It prints one line — ✓, ✗ with a
diagnosis, or "not implemented yet" when the function raises ``NotImplementedError`` — and
returns a :class:`CheckResult`. It never raises on a wrong answer, so notebook outputs are
deterministic.

Notation (ᾱ is DDPM's; the DDIM paper writes α):

    ᾱ_t, ᾱ_prev     noise levels of the current state and of the step's target (ᾱ_prev > ᾱ_t)
    β' = 1 − ᾱ_t/ᾱ_prev, β̃ = (1−ᾱ_prev)/(1−ᾱ_t) β'    effective β of a step and DDPM's posterior variance
    σ_t(η)          DDIM's noise std (Eq. 16);   x̄ = x/√ᾱ, σ = √(1−ᾱ)/√ᾱ   the ODE variables (Eq. 14)

| checker | learner's function | notebook |
|---|---|---|
| ``check_q_sample`` | ``fn(x0, alpha_bar_t, noise) -> x_t`` | 01 |
| ``check_alpha_bars`` | ``fn(betas) -> alpha_bars`` | 01 |
| ``check_posterior_mean`` | ``fn(x_t, x0, alpha_bar_t, alpha_bar_prev) -> μ̃`` | 02 |
| ``check_posterior_variance`` | ``fn(alpha_bar_t, alpha_bar_prev) -> β̃`` | 02 |
| ``check_x0_from_eps`` | ``fn(x_t, eps, alpha_bar_t) -> x0_hat`` | 03 |
| ``check_ddim_sigma`` | ``fn(alpha_bar_t, alpha_bar_prev, eta) -> σ`` | 03 |
| ``check_ddim_step`` | ``fn(x_t, eps, alpha_bar_t, alpha_bar_prev, eta, noise) -> x_prev`` | 03 |
| ``check_ddim_loop`` | ``fn(model, x_T, alpha_bars, timesteps) -> x_0`` (η = 0) | 04 |
| ``check_ddim_euler`` | ``fn(x_t, eps, alpha_bar_t, alpha_bar_prev) -> x_prev`` (Euler in x̄, σ) | 05 |
| ``check_heun_step`` | ``fn(x_t, eps_model, alpha_bar_t, alpha_bar_prev) -> x_prev``, ``eps_model(x, alpha_bar)`` | 05 |
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .analytic import GaussianMixture
from .parametrization import q_sample, x0_from_eps
from .samplers import sample
from .schedules import alpha_bars as alpha_bars_ref
from .schedules import beta_schedule, sigma_from_alpha_bar, timesteps
from .solvers import heun_process
from .steps import ddim_sigma, ddim_step, posterior_mean, posterior_mean_eps, posterior_variance

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
class _Wrong(Exception):
    """Raised inside the engine (never to the learner) to stop at the first wrong trial."""


def _as_array(out, who):
    if isinstance(out, tuple):
        raise _Wrong(f"your function returned a tuple of {len(out)}; return only {who}")
    try:
        return np.asarray(out, dtype=np.float64)
    except (TypeError, ValueError):
        raise _Wrong(f"your function returned {type(out).__name__}, not an array ({who})") from None


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


def _check(name, fn, trials, reference, mistakes=(), accepted=(), factors=lambda *args: {}, what="the result",
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
                return _verdict(name, "not implemented", "not implemented yet (your function raises NotImplementedError)")
            except Exception as e:  # the learner's bug, reported rather than raised
                raise _Wrong(f"your function raised {type(e).__name__}: {e}") from None
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
                            raise _Wrong(message)
                    if out.shape != ref.shape:
                        raise _Wrong(f"{what} has shape {out.shape}, expected {ref.shape}")
                    if not np.all(np.isfinite(out)):
                        raise _Wrong(f"{what} contains NaN or inf where the reference is finite{nan_hint}")
                    hint = _factor_hint(out, ref, factors(*args))
                    err = float(np.max(np.abs(out - ref)))
                    raise _Wrong(f"{what} {hint}" if hint else f"{what} is wrong: max |error| = {err:.3g} "
                                 f"(expected {ref.ravel()[0]:.6g}, got {out.ravel()[0]:.6g} at the first entry)")
    except _Wrong as e:
        return _verdict(name, "wrong", str(e))
    note = f" ({notes[0]})" if notes else ""
    return _verdict(name, "correct", f"correct on {len(trials)} random inputs{note}")


def _verdict(name, status, message) -> CheckResult:
    mark = {"correct": "✓", "wrong": "✗", "not implemented": "…"}[status]
    line = f"{mark} {name}: {message}"
    print(line)
    return CheckResult(status == "correct", status, line)


def _levels(rng, n):
    """n pairs ᾱ_t < ᾱ_prev in (0.02, 0.98), as Python floats."""
    pairs = np.sort(rng.uniform(0.02, 0.98, size=(n, 2)), axis=1)
    return [(np.float64(a), np.float64(b)) for a, b in pairs]  # NaN, not complex, from a wrong √(negative)


def _normal(rng, shape=(4, 3)):
    return rng.standard_normal(shape)


# ---------------------------------------------------------------- notebook 01: the forward process
def check_q_sample(fn, seed: int = 0) -> CheckResult:
    """Check ``fn(x0, alpha_bar_t, noise)`` = √ᾱ_t x0 + √(1−ᾱ_t) ε (DDPM Eq. 4)."""
    rng = np.random.default_rng(seed)
    trials = [(_normal(rng), a, _normal(rng)) for a, _ in _levels(rng, 4)]
    mistakes = [
        ("you used ᾱ_t and 1−ᾱ_t as coefficients: they are variances, take their square roots",
         lambda x0, a, e: a * x0 + (1 - a) * e),
        ("the noise coefficient is √(1−ᾱ_t), not 1−ᾱ_t", lambda x0, a, e: a**0.5 * x0 + (1 - a) * e),
        ("the signal coefficient is √ᾱ_t, not ᾱ_t", lambda x0, a, e: a * x0 + (1 - a) ** 0.5 * e),
        ("x0 and the noise are swapped: x_t = √ᾱ_t x0 + √(1−ᾱ_t) ε", lambda x0, a, e: a**0.5 * e + (1 - a) ** 0.5 * x0),
        ("x0 must be scaled by √ᾱ_t (x0 + √(1−ᾱ_t) ε does not keep the variance at 1)",
         lambda x0, a, e: x0 + (1 - a) ** 0.5 * e),
    ]
    return _check("q_sample", fn, trials, q_sample, mistakes, what="x_t",
                  factors=lambda x0, a, e: {"√ᾱ_t": a**0.5, "ᾱ_t": a})


def check_alpha_bars(fn, seed: int = 0) -> CheckResult:
    """Check ``fn(betas)`` = ᾱ_t = ∏_{s≤t} (1 − β_s) (DDPM Eq. 4)."""
    rng = np.random.default_rng(seed)
    trials = [(np.sort(rng.uniform(1e-3, 0.2, size=int(n))),) for n in rng.integers(8, 40, size=3)]
    mistakes = [
        ("that is the per-step α_t = 1 − β_t; ᾱ_t is their cumulative product", lambda b: 1 - b),
        ("you multiplied the β's: ᾱ_t is the cumulative product of 1 − β_s", lambda b: np.cumprod(b)),
        ("off by one: ᾱ_0 = 1 − β_0 (the product includes s = t), your array starts at 1",
         lambda b: np.concatenate([[1.0], np.cumprod(1 - b)[:-1]])),
        ("1 − Σβ is only the first-order approximation of ∏(1 − β)", lambda b: 1 - np.cumsum(b)),
        ("that is √ᾱ_t: take the product of 1 − β_s, not of √(1 − β_s)", lambda b: np.cumprod((1 - b) ** 0.5)),
        ("ᾱ_t needs the whole cumulative product, not the final value only", lambda b: np.prod(1 - b)),
    ]
    return _check("alpha_bars", fn, trials, alpha_bars_ref, mistakes, what="ᾱ")


# ---------------------------------------------------------------- notebook 02: the DDPM posterior
def check_posterior_mean(fn, seed: int = 0) -> CheckResult:
    """Check ``fn(x_t, x0, alpha_bar_t, alpha_bar_prev)`` = μ̃ (DDPM Eq. 7, β' = 1 − ᾱ_t/ᾱ_prev)."""
    rng = np.random.default_rng(seed)
    trials = [(_normal(rng), _normal(rng), a, p) for a, p in _levels(rng, 4)]

    def mean(x_t, x0, a, p, beta=None, c0=None, ct=None):
        beta = 1 - a / p if beta is None else beta
        c0 = p**0.5 * beta / (1 - a) if c0 is None else c0
        ct = (1 - beta) ** 0.5 * (1 - p) / (1 - a) if ct is None else ct
        return c0 * x0 + ct * x_t

    mistakes = [
        ("the coefficients of x0 and x_t are swapped",
         lambda x_t, x0, a, p: mean(x0, x_t, a, p)),
        ("β_t of a step is 1 − ᾱ_t/ᾱ_prev, not ᾱ_prev − ᾱ_t",
         lambda x_t, x0, a, p: mean(x_t, x0, a, p, beta=p - a)),
        ("the x0 coefficient is √ᾱ_prev β_t/(1−ᾱ_t): you used √ᾱ_t",
         lambda x_t, x0, a, p: mean(x_t, x0, a, p, c0=a**0.5 * (1 - a / p) / (1 - a))),
        ("the x_t coefficient has √α_t = √(1−β_t), not α_t",
         lambda x_t, x0, a, p: mean(x_t, x0, a, p, ct=(a / p) * (1 - p) / (1 - a))),
        ("the x_t coefficient is √α_t (1−ᾱ_prev)/(1−ᾱ_t): you used √ᾱ_t (cumulative, not per-step α_t)",
         lambda x_t, x0, a, p: mean(x_t, x0, a, p, ct=a**0.5 * (1 - p) / (1 - a))),
    ]
    return _check("posterior_mean", fn, trials, posterior_mean, mistakes, what="μ̃")


def check_posterior_variance(fn, seed: int = 0) -> CheckResult:
    """Check ``fn(alpha_bar_t, alpha_bar_prev)`` = β̃ = (1−ᾱ_prev)/(1−ᾱ_t) β' (DDPM Eq. 7)."""
    rng = np.random.default_rng(seed)
    trials = _levels(rng, 5)
    mistakes = [
        ("that is β_t = 1 − ᾱ_t/ᾱ_prev (DDPM's 'large' σ² = β), not β̃_t = (1−ᾱ_prev)/(1−ᾱ_t) β_t",
         lambda a, p: 1 - a / p),
        ("that is the std √β̃_t; the variance is β̃_t", lambda a, p: posterior_variance(a, p) ** 0.5),
        ("the ratio is inverted: β̃_t = (1−ᾱ_prev)/(1−ᾱ_t) β_t", lambda a, p: (1 - a) / (1 - p) * (1 - a / p)),
        ("β_t of a step is 1 − ᾱ_t/ᾱ_prev, not ᾱ_prev − ᾱ_t", lambda a, p: (1 - p) / (1 - a) * (p - a)),
    ]
    return _check("posterior_variance", fn, trials, posterior_variance, mistakes, what="β̃",
                  factors=lambda a, p: {"(1−ᾱ_prev)/(1−ᾱ_t)": (1 - p) / (1 - a)})


# ---------------------------------------------------------------- notebook 03: the DDIM step
def check_x0_from_eps(fn, seed: int = 0) -> CheckResult:
    """Check ``fn(x_t, eps, alpha_bar_t)`` = x0̂ = (x_t − √(1−ᾱ_t) ε̂)/√ᾱ_t (DDIM Eq. 9)."""
    rng = np.random.default_rng(seed)
    trials = [(_normal(rng), _normal(rng), a) for a, _ in _levels(rng, 4)]
    mistakes = [
        ("your x0̂ is off by a factor √ᾱ_t: divide x_t − √(1−ᾱ_t) ε̂ by √ᾱ_t",
         lambda x, e, a: x - (1 - a) ** 0.5 * e),
        ("you multiplied by √ᾱ_t; divide by it", lambda x, e, a: (x - (1 - a) ** 0.5 * e) * a**0.5),
        ("divide by √ᾱ_t, not by ᾱ_t", lambda x, e, a: (x - (1 - a) ** 0.5 * e) / a),
        ("the noise coefficient is √(1−ᾱ_t), not 1−ᾱ_t", lambda x, e, a: (x - (1 - a) * e) / a**0.5),
        ("subtract the noise: x0̂ = (x_t − √(1−ᾱ_t) ε̂)/√ᾱ_t", lambda x, e, a: (x + (1 - a) ** 0.5 * e) / a**0.5),
    ]
    return _check("x0_from_eps", fn, trials, x0_from_eps, mistakes, what="your x0̂",
                  factors=lambda x, e, a: {"√ᾱ_t": a**0.5, "ᾱ_t": a})


def _sigma_trials(rng, n):
    etas = [float(e) for e in rng.uniform(0.1, 0.9, size=n)]
    etas[1], etas[3] = 1.0, 0.0
    return [(a, p, eta) for (a, p), eta in zip(_levels(rng, n), etas)]


def check_ddim_sigma(fn, seed: int = 0) -> CheckResult:
    """Check ``fn(alpha_bar_t, alpha_bar_prev, eta)`` = σ_t(η) (DDIM Eq. 16)."""
    rng = np.random.default_rng(seed)
    trials = _sigma_trials(rng, 5)
    beta = lambda a, p: 1 - a / p  # noqa: E731
    mistakes = [
        ("your σ at η = 1 is √β_t (the σ̂ of DDIM Sec. 5.1, DDPM's 'large' variance), not √β̃_t: "
         "multiply by √((1−ᾱ_prev)/(1−ᾱ_t))", lambda a, p, eta: eta * beta(a, p) ** 0.5),
        ("that is the variance σ², not the std σ", lambda a, p, eta: ddim_sigma(a, p, eta) ** 2),
        ("that is η β̃_t: take the square root of β̃_t (σ = η √β̃_t)", lambda a, p, eta: eta * posterior_variance(a, p)),
        ("the ratio is inverted: σ = η √((1−ᾱ_prev)/(1−ᾱ_t)) √(1 − ᾱ_t/ᾱ_prev)",
         lambda a, p, eta: eta * ((1 - a) / (1 - p)) ** 0.5 * beta(a, p) ** 0.5),
        ("1 − ᾱ_prev/ᾱ_t is negative (ᾱ_prev > ᾱ_t): the second factor is √(1 − ᾱ_t/ᾱ_prev)",
         lambda a, p, eta: eta * ((1 - p) / (1 - a)) ** 0.5 * (1 - p / a) ** 0.5),
        ("η multiplies σ, it does not go under the square root", lambda a, p, eta: (eta * posterior_variance(a, p)) ** 0.5),
    ]
    return _check("ddim_sigma", fn, trials, ddim_sigma, mistakes, what="your σ",
                  factors=lambda a, p, eta: {"η": eta} if eta else {})


def check_ddim_step(fn, seed: int = 0) -> CheckResult:
    """Check ``fn(x_t, eps, alpha_bar_t, alpha_bar_prev, eta, noise)`` = x_prev (DDIM Eq. 12)."""
    rng = np.random.default_rng(seed)
    trials = [(_normal(rng), _normal(rng), a, p, eta, _normal(rng)) for a, p, eta in _sigma_trials(rng, 5)]

    def step(x, e, a, p, eta, z, x0=None, direction=None, noise_std=None):
        x0 = x0_from_eps(x, e, a) if x0 is None else x0
        s = ddim_sigma(a, p, eta)
        direction = (1 - p - s**2) ** 0.5 * e if direction is None else direction
        return p**0.5 * x0 + direction + (s if noise_std is None else noise_std) * z

    mistakes = [
        ("you scaled the noise by η instead of σ_t(η)", lambda x, e, a, p, eta, z: step(x, e, a, p, eta, z, noise_std=eta)),
        ("the direction term is √(1 − ᾱ_prev − σ²) ε̂: you left out σ²",
         lambda x, e, a, p, eta, z: step(x, e, a, p, eta, z, direction=(1 - p) ** 0.5 * e)),
        ("that re-noises x0̂ with fresh noise, √ᾱ_prev x0̂ + √(1−ᾱ_prev) z: the forward marginal is not an update rule",
         lambda x, e, a, p, eta, z: q_sample(x0_from_eps(x, e, a), p, z)),
        ("that is DDPM's posterior mean (+ σ z): it equals DDIM only at η = 1",
         lambda x, e, a, p, eta, z: posterior_mean_eps(x, e, a, p) + ddim_sigma(a, p, eta) * z),
        ("your x0̂ is off by a factor √ᾱ_t: x0̂ = (x_t − √(1−ᾱ_t) ε̂)/√ᾱ_t",
         lambda x, e, a, p, eta, z: step(x, e, a, p, eta, z, x0=x - (1 - a) ** 0.5 * e)),
        ("the x0̂ term is √ᾱ_prev x0̂ (the target level): you used √ᾱ_t",
         lambda x, e, a, p, eta, z: step(x, e, a, p, eta, z, x0=x0_from_eps(x, e, a) * (a / p) ** 0.5)),
        ("you used the per-step α_t = ᾱ_t/ᾱ_prev where ᾱ_t belongs (the DDIM paper's α_t is DDPM's ᾱ_t)",
         lambda x, e, a, p, eta, z: step(x, e, a, p, eta, z, x0=x0_from_eps(x, e, a / p))),
        ("your σ at η = 1 is √β_t (σ̂), not √β̃_t: σ_t(η) = η √((1−ᾱ_prev)/(1−ᾱ_t)) √(1 − ᾱ_t/ᾱ_prev)",
         lambda x, e, a, p, eta, z: (p**0.5 * x0_from_eps(x, e, a) + (1 - p - eta**2 * (1 - a / p)) ** 0.5 * e
                                     + eta * (1 - a / p) ** 0.5 * z)),
        ("you left out the noise term σ_t(η) z", lambda x, e, a, p, eta, z: step(x, e, a, p, eta, 0 * z)),
    ]
    return _check("ddim_step", fn, trials, lambda x, e, a, p, eta, z: ddim_step(x, e, a, p, eta, z)[0], mistakes,
                  what="x_prev")


# ---------------------------------------------------------------- notebook 04: the sampling loop
def _loop(model, x, pairs):
    """DDIM (η = 0) through ``pairs`` of (model timestep, ᾱ_t, ᾱ_prev); the engine of the wrong loops."""
    for t, a, p in pairs:
        x = ddim_step(x, model(x, int(t)), a, p)[0]
    return x


def _index_loop(model, x, a, ts):
    levels = list(a[ts]) + [1.0]
    for i in range(len(ts)):
        x = ddim_step(x, model(x, i), levels[i], levels[i + 1])[0]
    return x


def _ddpm_mean_loop(model, x, a, ts):
    levels = list(a[ts]) + [1.0]
    for i, t in enumerate(ts):
        x = posterior_mean_eps(x, model(x, int(t)), levels[i], levels[i + 1])
    return x


def check_ddim_loop(fn, seed: int = 0) -> CheckResult:
    """Check ``fn(model, x_T, alpha_bars, timesteps)`` = deterministic DDIM (η = 0) from x_T to ᾱ = 1."""
    rng = np.random.default_rng(seed)
    T = 1000
    ab = alpha_bars_ref(beta_schedule("linear", T))
    mixture = GaussianMixture(rng.uniform(-2, 2, size=(3, 2)), rng.uniform(0.05, 0.3, size=3))
    model = mixture.model(ab)
    trials = [(model, rng.standard_normal((8, 2)), ab, timesteps(T, S, spacing))
              for S, spacing in ((10, "trailing"), (7, "linspace"), (20, "leading"))]

    def next_levels(ts, a):
        return [(t, a[t], a[n]) for t, n in zip(ts[:-1], ts[1:])]

    accepted = [("your last step lands on ᾱ_0 = alpha_bars[0], as diffusers' set_alpha_to_one=False does; "
                 "the paper's goes to ᾱ = 1",
                 lambda m, x, a, ts: _loop(m, x, next_levels(ts, a) + [(ts[-1], a[ts[-1]], a[0])]))]
    mistakes = [
        ("your loop stops at t = τ_{S−1} instead of reaching ᾱ = 1: the last step must go to clean data",
         lambda m, x, a, ts: _loop(m, x, next_levels(ts, a))),
        ("alpha_bars[-1] is the LAST entry (ᾱ_{T−1} ≈ 0, pure noise), not clean data: the last step goes to ᾱ = 1",
         lambda m, x, a, ts: _loop(m, x, next_levels(ts, a) + [(ts[-1], a[ts[-1]], a[-1])])),
        ("you stepped to t − T//S (diffusers' fixed stride) instead of the next element of τ; "
         "they differ for linspace spacing",
         lambda m, x, a, ts: _loop(m, x, [(t, a[t], a[t - len(a) // len(ts)] if t - len(a) // len(ts) >= 0 else 1.0)
                                          for t in ts])),
        ("you stepped to t − 1 instead of the next element of τ: with skipped steps ᾱ_prev is ᾱ[τ_{i+1}]",
         lambda m, x, a, ts: _loop(m, x, [(t, a[t], a[t - 1] if t > 0 else 1.0) for t in ts])),
        ("you called the model with the loop index i: pass the timestep τ_i",
         lambda m, x, a, ts: _index_loop(m, x, a, ts)),
        ("that is DDPM's posterior mean with σ = 0: it is not DDIM and breaks when steps are skipped",
         lambda m, x, a, ts: _ddpm_mean_loop(m, x, a, ts)),
    ]
    return _check("ddim_loop", fn, trials, lambda m, x, a, ts: sample(m, x, a, ts, eta=0.0), mistakes, accepted,
                  what="x_0", nan_hint=" (does a step go to a noisier level, ᾱ_prev < ᾱ_t? √ of a negative number)")


# ---------------------------------------------------------------- notebook 05: DDIM as an ODE solver
def check_ddim_euler(fn, seed: int = 0) -> CheckResult:
    """Check ``fn(x_t, eps, alpha_bar_t, alpha_bar_prev)``: Euler in σ on x̄ = x/√ᾱ equals the DDIM step (Eq. 14)."""
    rng = np.random.default_rng(seed)
    trials = [(_normal(rng), _normal(rng), a, p) for a, p in _levels(rng, 4)]
    sig = sigma_from_alpha_bar

    def euler(x, e, a, p, xbar=None, ds=None, back=None):
        xbar = x / a**0.5 if xbar is None else xbar
        ds = sig(p) - sig(a) if ds is None else ds
        xbar_prev = xbar + ds * e
        return p**0.5 * xbar_prev if back is None else back * xbar_prev

    mistakes = [
        ("that is x̄_prev: convert back with x_prev = √ᾱ_prev x̄_prev", lambda x, e, a, p: euler(x, e, a, p, back=1.0)),
        ("x̄ = x/√ᾱ: divide x_t by √ᾱ_t before the Euler step", lambda x, e, a, p: euler(x, e, a, p, xbar=x)),
        ("the step is σ_prev − σ_t (negative: σ decreases); you took σ_t − σ_prev",
         lambda x, e, a, p: euler(x, e, a, p, ds=sig(a) - sig(p))),
        ("σ = √(1−ᾱ)/√ᾱ, not √(1−ᾱ)", lambda x, e, a, p: euler(x, e, a, p, ds=(1 - p) ** 0.5 - (1 - a) ** 0.5)),
        ("σ is the std √(1−ᾱ)/√ᾱ, not the variance (1−ᾱ)/ᾱ", lambda x, e, a, p: euler(x, e, a, p, ds=sig(p) ** 2 - sig(a) ** 2)),
        ("that is Euler in x (x_t + (√(1−ᾱ_prev) − √(1−ᾱ_t)) ε̂), not in x̄ = x/√ᾱ",
         lambda x, e, a, p: x + ((1 - p) ** 0.5 - (1 - a) ** 0.5) * e),
    ]
    return _check("ddim_euler", fn, trials, lambda x, e, a, p: ddim_step(x, e, a, p)[0], mistakes, what="x_prev")


def _heun_reference(x, eps_model, a, p):
    """One step of :func:`ddim_ref.solvers.heun` from ᾱ_t = a to ᾱ_prev = p."""
    levels = np.array([p, a])  # timestep 1 is ᾱ_t, timestep 0 is ᾱ_prev
    states = heun_process(lambda x_, t: eps_model(x_, float(levels[t])), x, levels, [1, 0])
    return next(states)[0]


def check_heun_step(fn, seed: int = 0) -> CheckResult:
    """Check ``fn(x_t, eps_model, alpha_bar_t, alpha_bar_prev)``: one Heun step in σ (Karras et al. 2022, Alg. 1).

    ``eps_model(x, alpha_bar)`` is the noise prediction at level ᾱ (an exact denoiser's ``.eps`` here).
    """
    rng = np.random.default_rng(seed)
    mixture = GaussianMixture(rng.uniform(-2, 2, size=(3, 2)), rng.uniform(0.05, 0.3, size=3))
    trials = [(rng.standard_normal((6, 2)), mixture.eps, a, p) for a, p in _levels(rng, 4)]
    sig = sigma_from_alpha_bar

    def heun(x, f, a, p, at_level=None, convert=True, average=True):
        e1 = f(x, a)
        xbar = x / a**0.5
        h = sig(p) - sig(a)
        xbar_pred = xbar + h * e1
        x_pred = p**0.5 * xbar_pred if convert else xbar_pred
        e2 = f(x_pred, p if at_level is None else at_level)
        return p**0.5 * (xbar + h * ((e1 + e2) / 2 if average else e2))

    mistakes = [
        ("that is the Euler (DDIM) step only: add the corrector, the mean of ε̂ at both ends",
         lambda x, f, a, p: ddim_step(x, f(x, a), a, p)[0]),
        ("evaluate the second ε̂ at the target level ᾱ_prev, not at ᾱ_t", lambda x, f, a, p: heun(x, f, a, p, at_level=a)),
        ("the predictor is in x̄: convert it back (x = √ᾱ_prev x̄) before calling the model",
         lambda x, f, a, p: heun(x, f, a, p, convert=False)),
        ("Heun uses the mean of the two slopes, not the second one alone", lambda x, f, a, p: heun(x, f, a, p, average=False)),
    ]
    return _check("heun_step", fn, trials, _heun_reference, mistakes, what="x_prev")


CHECKERS = ("check_q_sample", "check_alpha_bars", "check_posterior_mean", "check_posterior_variance",
            "check_x0_from_eps", "check_ddim_sigma", "check_ddim_step", "check_ddim_loop", "check_ddim_euler",
            "check_heun_step")

__all__ = ["CheckResult", *CHECKERS]
