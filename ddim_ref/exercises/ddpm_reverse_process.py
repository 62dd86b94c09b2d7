"""Checkers for notebook 02, the DDPM reverse process: the posterior mean and variance."""
from __future__ import annotations

import numpy as np

from ..steps import posterior_mean, posterior_variance
from .engine import CheckResult, compare, level_pairs, normal


def check_posterior_mean(fn, seed: int = 0) -> CheckResult:
    """Check ``fn(x_t, x0, alpha_bar_t, alpha_bar_prev)`` = μ̃ (DDPM Eq. 7, β' = 1 − ᾱ_t/ᾱ_prev)."""
    rng = np.random.default_rng(seed)
    trials = [(normal(rng), normal(rng), a, p) for a, p in level_pairs(rng, 4)]

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
    return compare("posterior_mean", fn, trials, posterior_mean, mistakes, what="μ̃")


def check_posterior_variance(fn, seed: int = 0) -> CheckResult:
    """Check ``fn(alpha_bar_t, alpha_bar_prev)`` = β̃ = (1−ᾱ_prev)/(1−ᾱ_t) β' (DDPM Eq. 7)."""
    rng = np.random.default_rng(seed)
    trials = level_pairs(rng, 5)
    mistakes = [
        ("that is β_t = 1 − ᾱ_t/ᾱ_prev (DDPM's 'large' σ² = β), not β̃_t = (1−ᾱ_prev)/(1−ᾱ_t) β_t",
         lambda a, p: 1 - a / p),
        ("that is the std √β̃_t; the variance is β̃_t", lambda a, p: posterior_variance(a, p) ** 0.5),
        ("the ratio is inverted: β̃_t = (1−ᾱ_prev)/(1−ᾱ_t) β_t", lambda a, p: (1 - a) / (1 - p) * (1 - a / p)),
        ("β_t of a step is 1 − ᾱ_t/ᾱ_prev, not ᾱ_prev − ᾱ_t", lambda a, p: (1 - p) / (1 - a) * (p - a)),
    ]
    return compare("posterior_variance", fn, trials, posterior_variance, mistakes, what="β̃",
                  factors=lambda a, p: {"(1−ᾱ_prev)/(1−ᾱ_t)": (1 - p) / (1 - a)})
