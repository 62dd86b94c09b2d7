"""Checkers for notebook 01, the forward process: q(x_t | x0), ᾱ and where the SNR crosses a level."""
from __future__ import annotations

import numpy as np

from ..parametrization import q_sample
from ..schedules import alpha_bars as alpha_bars_ref
from ..schedules import beta_schedule, log_snr, snr
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


def snr_crossing_ref(betas, level):
    """The first 0-based t with SNR(t) = ᾱ_t/(1−ᾱ_t) < ``level`` (the trials make sure there is one, after t = 0)."""
    return int(np.argmax(snr(alpha_bars_ref(betas)) < level))


def _first(mask):
    return int(np.argmax(mask))


def _snr_trials(rng):
    """(betas, snr level) pairs that tell the typical mistakes apart: the first, a cosine schedule (its late β's
    near 1 give the per-step SNR a crossing) with a level in (0.15, 0.55), where SNR, √SNR, ᾱ and λ all differ."""
    schedules = [beta_schedule("cosine", int(rng.integers(150, 300))),
                 beta_schedule("linear", int(rng.integers(200, 600)), beta_end=float(rng.uniform(0.015, 0.04))),
                 beta_schedule("scaled_linear", int(rng.integers(200, 600)), beta_start=8.5e-4, beta_end=0.012),
                 beta_schedule("sigmoid", int(rng.integers(200, 600)))]
    trials = []
    for i, betas in enumerate(schedules):
        lam = log_snr(alpha_bars_ref(betas))  # falls from λ_0 > 7 to λ_{T−1} < −0.5: the crossing is inside
        lo, hi = (np.log(0.15), np.log(0.55)) if i == 0 else (max(-2.5, lam[-1] + 0.3), min(2.5, lam[0] - 0.3))
        trials.append((betas, float(np.exp(rng.uniform(lo, hi)))))
    return trials


def check_snr_crossing(fn, seed: int = 0) -> CheckResult:
    """Check ``fn(betas, snr)`` = the first timestep t (0-based) at which SNR(t) = ᾱ_t/(1−ᾱ_t) drops below ``snr``."""
    trials = _snr_trials(np.random.default_rng(seed))

    def snr_of(b):
        return snr(alpha_bars_ref(b))

    mistakes = [
        ("off by one: that is the step after the crossing, t + 1 (1-based counting, or an ᾱ_t = ∏_{s<t} "
         "that leaves out its own factor 1 − β_t): with t = 0 … T−1, the index of the first True is the answer",
         lambda b, s: snr_crossing_ref(b, s) + 1),
        ("off by one: that is the last t with SNR(t) ≥ snr, one step before the crossing; "
         "the question asks for the first t where SNR(t) < snr",
         lambda b, s: snr_crossing_ref(b, s) - 1),
        ("that is where the per-step (1 − β_t)/β_t = α_t/(1 − α_t) drops below snr: "
         "SNR(t) uses the cumulative ᾱ_t = ∏_{s≤t}(1 − β_s)",
         lambda b, s: _first((1 - b) / b < s)),
        ("you compared the log-SNR λ_t = log SNR(t) with snr: compare SNR(t) < snr (or λ_t < log snr)",
         lambda b, s: _first(log_snr(alpha_bars_ref(b)) < s)),
        ("you compared ᾱ_t itself with snr: SNR(t) = ᾱ_t/(1 − ᾱ_t)",
         lambda b, s: _first(alpha_bars_ref(b) < s)),
        ("that compares √ᾱ_t/√(1 − ᾱ_t), the ratio of the coefficients of x0 and ε: "
         "SNR is the ratio of their variances, ᾱ_t/(1 − ᾱ_t)",
         lambda b, s: _first(snr_of(b) ** 0.5 < s)),
        ("your condition already holds at t = 0, where the SNR is largest: compare SNR(t) = ᾱ_t/(1 − ᾱ_t) "
         "with snr, not β_t, 1 − ᾱ_t or the noise-to-signal ratio (1 − ᾱ_t)/ᾱ_t",
         lambda b, s: 0),
    ]
    return compare("snr_crossing", fn, trials, snr_crossing_ref, mistakes, what="t")


NOTEBOOK = 1
__all__ = ["check_q_sample", "check_alpha_bars", "check_snr_crossing"]
