"""Checkers for notebook 01, the forward process: q(x_t | x0) and ᾱ."""
from __future__ import annotations

import numpy as np

from ..parametrization import q_sample
from ..schedules import alpha_bars as alpha_bars_ref
from .engine import CheckResult, compare, level_pairs, normal


def check_q_sample(fn, seed: int = 0) -> CheckResult:
    """Check ``fn(x0, alpha_bar_t, noise)`` = √ᾱ_t x0 + √(1−ᾱ_t) ε (DDPM Eq. 4)."""
    rng = np.random.default_rng(seed)
    trials = [(normal(rng), a, normal(rng)) for a, _ in level_pairs(rng, 4)]
    mistakes = [
        ("you used ᾱ_t and 1−ᾱ_t as coefficients: they are variances, take their square roots",
         lambda x0, a, e: a * x0 + (1 - a) * e),
        ("the noise coefficient is √(1−ᾱ_t), not 1−ᾱ_t", lambda x0, a, e: a**0.5 * x0 + (1 - a) * e),
        ("the signal coefficient is √ᾱ_t, not ᾱ_t", lambda x0, a, e: a * x0 + (1 - a) ** 0.5 * e),
        ("x0 and the noise are swapped: x_t = √ᾱ_t x0 + √(1−ᾱ_t) ε", lambda x0, a, e: a**0.5 * e + (1 - a) ** 0.5 * x0),
        ("x0 must be scaled by √ᾱ_t (x0 + √(1−ᾱ_t) ε does not keep the variance at 1)",
         lambda x0, a, e: x0 + (1 - a) ** 0.5 * e),
    ]
    return compare("q_sample", fn, trials, q_sample, mistakes, what="x_t",
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
    return compare("alpha_bars", fn, trials, alpha_bars_ref, mistakes, what="ᾱ")
