"""Checkers for notebook 10, applications: one DDIM inversion step, slerp, SDEdit's start, inpainting's replacement.

Notation (ᾱ is DDPM's; the DDIM paper writes α):

    inversion step   x at level ᾱ_t up to the noisier ᾱ_next < ᾱ_t: the η = 0 step with the levels swapped,
                     √ᾱ_next x0̂ + √(1−ᾱ_next) ε̂,  x0̂ = (x − √(1−ᾱ_t) ε̂)/√ᾱ_t         (DDIM Eq. 12 run upwards)
    slerp            sin((1−α)θ)/sin θ z0 + sin(αθ)/sin θ z1,  cos θ = ⟨z0, z1⟩/(‖z0‖ ‖z1‖), per sample
    SDEdit's start   τ_start = τ_{S−n}, the first of the last n = max(1, round(strength·S)) elements of τ
    replacement      x_prev[known] = √ᾱ_prev x_known + √(1−ᾱ_prev) ε, x_prev[unknown] kept    (DDPM Eq. 4)
"""
from __future__ import annotations

import numpy as np

from ..applications import lerp, replace_known, slerp, truncate_timesteps
from ..parametrization import q_sample, x0_from_eps
from ..schedules import timesteps
from ..steps import ddim_step
from .engine import CheckResult, compare, level_pairs, normal


# ---------------------------------------------------------------- one step of DDIM inversion
def _up(x, e, a, n, x0=None, signal=None, direction=None):
    """√ᾱ_signal x0̂ + √(1−ᾱ_direction) ε̂, each level the target's unless given: the pieces a wrong step gets wrong."""
    x0 = x0_from_eps(x, e, a) if x0 is None else x0
    return (n if signal is None else signal) ** 0.5 * x0 + (1 - (n if direction is None else direction)) ** 0.5 * e


def check_ddim_inversion_step(fn, seed: int = 0) -> CheckResult:
    """Check ``fn(x, eps, alpha_bar_t, alpha_bar_next)`` = the η = 0 DDIM step from ᾱ_t up to ᾱ_next < ᾱ_t.

    The reference is :func:`ddim_ref.ddim_step` with the target level below the current one (what
    :func:`ddim_ref.invert` runs, step by step); the last trial starts from clean data, ᾱ_t = 1.
    """
    rng = np.random.default_rng(seed)
    trials = [(normal(rng), normal(rng), p, a) for a, p in level_pairs(rng, 4)]
    trials.append((normal(rng), normal(rng), 1.0, float(rng.uniform(0.5, 0.99))))  # x_0 → the first level of τ
    mistakes = [
        ("your step returns x unchanged: x0̂ must be computed at the level x is at, ᾱ_t "
         "(x0̂ = (x − √(1−ᾱ_t) ε̂)/√ᾱ_t); with ᾱ_next there the step undoes itself",
         lambda x, e, a, n: _up(x, e, a, n, x0=x0_from_eps(x, e, n))),
        ("the levels' roles are swapped: x is at ᾱ_t and the step goes up to ᾱ_next; "
         "you took the step from ᾱ_next down to ᾱ_t",
         lambda x, e, a, n: ddim_step(x, e, n, a)[0]),
        ("that is the forward transition √(ᾱ_next/ᾱ_t) x + √(1 − ᾱ_next/ᾱ_t) ε̂, adding noise with ε̂ as the noise: "
         "inversion is DDIM's deterministic update run upwards, √ᾱ_next x0̂ + √(1−ᾱ_next) ε̂",
         lambda x, e, a, n: q_sample(x, n / a, e)),
        ("the direction coefficient belongs to the target level: √(1−ᾱ_next) ε̂, not √(1−ᾱ_t) ε̂",
         lambda x, e, a, n: _up(x, e, a, n, direction=a)),
        ("the x0̂ term is √ᾱ_next x0̂ (the target level): you used √ᾱ_t",
         lambda x, e, a, n: _up(x, e, a, n, signal=a)),
        ("the noise coefficient in x0̂ is √(1−ᾱ_t), not 1−ᾱ_t: x0̂ = (x − √(1−ᾱ_t) ε̂)/√ᾱ_t",
         lambda x, e, a, n: _up(x, e, a, n, x0=(x - (1 - a) * e) / a**0.5)),
        ("that is the Euler step x + (σ_next − σ_t) ε̂ taken in x: it holds for x̄ = x/√ᾱ; "
         "rescale x to x̄_t first and x̄_next back by √ᾱ_next",
         lambda x, e, a, n: x + (((1 - n) / n) ** 0.5 - ((1 - a) / a) ** 0.5) * e),
    ]
    return compare("ddim_inversion_step", fn, trials, lambda x, e, a, n: ddim_step(x, e, a, n, 0.0)[0], mistakes,
                   what="x_next", factors=lambda x, e, a, n: {"√(ᾱ_next/ᾱ_t)": (n / a) ** 0.5})


# ---------------------------------------------------------------- slerp
def _slerp_with(z0, z1, alpha, theta, swap=False, divide=True):
    """Slerp's weights from a given angle θ (broadcast to z0), optionally swapped or not divided by sin θ."""
    s = np.sin(theta) if divide else 1.0
    w0, w1 = np.sin((1 - alpha) * theta) / s, np.sin(alpha * theta) / s
    w0, w1 = (w1, w0) if swap else (w0, w1)
    return w0 * z0 + w1 * z1


def _angle(z0, z1, axes, normalised=True, clip=True):
    dot = (z0 * z1).sum(axis=axes, keepdims=True)
    if normalised:
        dot = dot / ((z0**2).sum(axis=axes, keepdims=True) * (z1**2).sum(axis=axes, keepdims=True)) ** 0.5
    return np.arccos(dot.clip(-1, 1) if clip else dot)


def _per_sample(z):
    return tuple(range(1, np.ndim(z)))


def check_slerp(fn, seed: int = 0) -> CheckResult:
    """Check ``fn(z0, z1, alpha)`` = slerp of batches (B, ...), one angle per sample (:func:`applications.slerp`)."""
    rng = np.random.default_rng(seed)
    trials = [(normal(rng, (4, 6)), normal(rng, (4, 6)), alpha) for alpha in (0.3, 0.8, 0.1)]
    trials += [(0.2 * normal(rng, (4, 6)), 0.2 * normal(rng, (4, 6)), 0.65),  # |⟨z0, z1⟩| < 1: a raw dot is an angle
               (normal(rng, (3, 2, 5)), normal(rng, (3, 2, 5)), 0.7)]         # images: the angle over all of a sample

    def theta(z0, z1, **kwargs):
        return _angle(z0, z1, _per_sample(z0), **kwargs)

    mistakes = [
        ("that is linear interpolation (1−α) z0 + α z1: slerp walks the great circle, "
         "sin((1−α)θ)/sin θ z0 + sin(αθ)/sin θ z1",
         lerp),
        ("the weights are swapped: z0 gets sin((1−α)θ)/sin θ and z1 gets sin(αθ)/sin θ (α = 0 must give z0)",
         lambda z0, z1, alpha: _slerp_with(z0, z1, alpha, theta(z0, z1), swap=True)),
        ("your angle comes from the unnormalised dot product: cos θ = ⟨z0, z1⟩/(‖z0‖ ‖z1‖)",
         lambda z0, z1, alpha: _slerp_with(z0, z1, alpha, theta(z0, z1, normalised=False))),
        ("your angle comes from the unnormalised dot product: cos θ = ⟨z0, z1⟩/(‖z0‖ ‖z1‖)",
         lambda z0, z1, alpha: _slerp_with(z0, z1, alpha, theta(z0, z1, normalised=False, clip=False))),
        ("divide both weights by sin θ: sin((1−α)θ)/sin θ and sin(αθ)/sin θ",
         lambda z0, z1, alpha: _slerp_with(z0, z1, alpha, theta(z0, z1), divide=False)),
        ("you took one angle for the whole batch: θ is per sample, from each pair z0[i], z1[i]",
         lambda z0, z1, alpha: _slerp_with(z0, z1, alpha, _angle(z0, z1, None))),
        ("you took the angle along the last axis only: a sample's angle uses all of its entries "
         "(flatten z0[i] and z1[i])",
         lambda z0, z1, alpha: _slerp_with(z0, z1, alpha, _angle(z0, z1, -1))),
    ]
    return compare("slerp", fn, trials, slerp, mistakes, what="your interpolant",
                   nan_hint=" (is cos θ outside [−1, 1]? normalise the dot product, and clip it)")


# ---------------------------------------------------------------- SDEdit's start
def _start(ts, strength, count=round, at_least_one=True):
    n = count(strength * len(ts))
    n = max(1, n) if at_least_one else n
    return ts[-n] if n else np.nan  # ts[-0] would be ts[0]; slicing ts[S-0:] is empty


def _no_start_for_zero(fn):
    """The learner's fn, with an IndexError (an empty slice of τ) where round(strength·S) = 0 read as 'no start'."""
    def wrapped(ts, strength):
        try:
            return fn(ts, strength)
        except IndexError:
            if round(strength * len(ts)) == 0:
                return np.nan
            raise
    return wrapped


def check_sdedit_start(fn, seed: int = 0) -> CheckResult:
    """Check ``fn(timesteps, strength)`` = τ_start, the timestep SDEdit noises the guide to.

    τ_start is the first element of :func:`applications.truncate_timesteps`: the last n = max(1, round(strength·S))
    elements of τ (diffusers' img2img truncates instead, n = int(strength·S)). The first trials are chosen to
    separate the usual slips; a few random ones follow.
    """
    rng = np.random.default_rng(seed)
    designed = [(10, 0.37), (20, 0.62), (10, 0.04), (7, 0.79), (50, 1.0)]  # 3.7 → 4 (int: 3); 0.4 → 0 → max: 1
    extra = []
    while len(extra) < 3:
        S, strength = int(rng.integers(2, 60)), float(rng.uniform(0.02, 1.0))
        if abs(strength * S % 1 - 0.5) > 1e-3:  # away from a tie, where round-half-even and round-half-up differ
            extra.append((S, strength))
    trials = [(timesteps(1000, S), strength) for S, strength in designed + extra]
    mistakes = [
        ("with strength·S < 0.5, n = round(strength·S) is 0: SDEdit still runs one step, n = max(1, round(strength·S))",
         lambda ts, s: _start(ts, s, at_least_one=False)),
        ("with strength·S < 0.5, n = round(strength·S) is 0 and ts[-0] is ts[0], pure noise: "
         "SDEdit runs one step, n = max(1, round(strength·S))",
         lambda ts, s: ts[-round(s * len(ts))]),
        ("you took the first n elements of τ, which always start at τ_0 (pure noise): "
         "SDEdit runs the last n, which start at τ_{S−n}",
         lambda ts, s: ts[0] + 0 * s),
        ("ts[n−1] ends the first n elements of τ: SDEdit starts at the first of the last n, τ_{S−n}",
         lambda ts, s: ts[max(1, round(s * len(ts))) - 1]),
        ("n = round(strength·S), not int(strength·S): int truncates (3.7 → 3) and starts one element too low "
         "(diffusers' img2img truncates; ap.truncate_timesteps rounds)",
         lambda ts, s: _start(ts, s, count=int)),
        ("that is the position S − n in τ: return the timestep τ_{S−n} itself",
         lambda ts, s: len(ts) - max(1, round(s * len(ts)))),
        ("you start one element early, at τ_{S−n−1}: the last n elements begin at τ_{S−n}",
         lambda ts, s: ts[max(0, len(ts) - max(1, round(s * len(ts))) - 1)]),
    ]
    return compare("sdedit_start", _no_start_for_zero(fn), trials,
                   lambda ts, s: truncate_timesteps(ts, s)[0], mistakes, what="your τ_start",
                   nan_hint=" (no start at all: round(strength·S) = 0 here, and SDEdit still runs max(1, …) steps)")


# ---------------------------------------------------------------- inpainting's replacement step
def check_replace_known(fn, seed: int = 0) -> CheckResult:
    """Check ``fn(x_prev, x_known, mask, alpha_bar_t, alpha_bar_prev, noise)`` = the replaced state at ᾱ_prev.

    ``x_prev`` is the sampler's step from level ᾱ_t down to ᾱ_prev; ``mask`` (0./1., broadcasting to x) is 1 on the
    known entries, which become √ᾱ_prev x_known + √(1−ᾱ_prev) ε (:func:`applications.replace_known`).
    """
    rng = np.random.default_rng(seed)
    trials = []
    for a, p in level_pairs(rng, 4):
        mask = np.zeros((1, 6))
        mask[0, rng.permutation(6)[:3]] = 1.0  # three known, three unknown entries
        trials.append((normal(rng, (4, 6)), normal(rng, (4, 6)), mask, a, p, normal(rng, (4, 6))))

    def replaced(x, xk, m, level, z, noised=None):
        return np.where(m == 1, q_sample(xk, level, z) if noised is None else noised, x)

    mistakes = [
        ("the known entries must carry the noise of level ᾱ_prev: √ᾱ_prev x_known + √(1−ᾱ_prev) ε, not x_known itself",
         lambda x, xk, m, a, p, z: replaced(x, xk, m, p, z, noised=xk)),
        ("the mask is inverted: m = 1 marks the known entries, which get the noised x_known; "
         "the m = 0 entries keep x_prev",
         lambda x, xk, m, a, p, z: replaced(x, xk, 1 - m, p, z)),
        ("you noised x_known to ᾱ_t, the level the step started from: x_prev is at ᾱ_prev, "
         "and so must its known entries be",
         lambda x, xk, m, a, p, z: replaced(x, xk, m, a, z)),
        ("the noise coefficient is √(1−ᾱ_prev), not 1−ᾱ_prev",
         lambda x, xk, m, a, p, z: replaced(x, xk, m, p, z, noised=p**0.5 * xk + (1 - p) * z)),
        ("scale x_known by √ᾱ_prev: the known entries are √ᾱ_prev x_known + √(1−ᾱ_prev) ε",
         lambda x, xk, m, a, p, z: replaced(x, xk, m, p, z, noised=xk + (1 - p) ** 0.5 * z)),
        ("you replaced every entry: only the known ones (m = 1) get the noised x_known; the others keep x_prev",
         lambda x, xk, m, a, p, z: q_sample(xk, p, z)),
    ]
    return compare("replace_known", fn, trials,
                   lambda x, xk, m, a, p, z: replace_known(x, xk, m == 1, p, z), mistakes, what="the replaced x_prev")


NOTEBOOK = 10
__all__ = ["check_ddim_inversion_step", "check_slerp", "check_sdedit_start", "check_replace_known"]
