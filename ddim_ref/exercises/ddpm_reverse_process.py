"""Checkers for notebook 02, the DDPM reverse process: the posterior mean (two forms) and variance."""
from __future__ import annotations

import numpy as np

from ..parametrization import q_sample
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


def posterior_mean_x0_eps_ref(x0, eps, alpha_bar_t, alpha_bar_prev):
    """μ̃ at x_t = q_sample(x0, ᾱ_t, ε), as a function of (x0, ε): √ᾱ_prev x0 + √(1 − ᾱ_prev − β̃) ε."""
    return posterior_mean(q_sample(x0, alpha_bar_t, eps), x0, alpha_bar_t, alpha_bar_prev)


def check_posterior_mean_x0_eps(fn, seed: int = 0) -> CheckResult:
    """Check ``fn(x0, eps, alpha_bar_t, alpha_bar_prev)`` = μ̃(x_t, x0) with x_t = √ᾱ_t x0 + √(1−ᾱ_t) ε put in."""
    rng = np.random.default_rng(seed)
    trials = [(normal(rng), normal(rng), a, p) for a, p in level_pairs(rng, 4)]

    def mean(x0, e, a, p, c0=None, c=None):
        c0 = p**0.5 if c0 is None else c0
        c = (1 - p - posterior_variance(a, p)) ** 0.5 if c is None else c
        return c0 * x0 + c * e

    mistakes = [
        ("that is q_sample(x0, ᾱ_prev, ε), the marginal of x_prev given x0, not the posterior mean: part of "
         "x_prev's variance 1 − ᾱ_prev is the posterior's own β̃, and it is not in the mean",
         lambda x0, e, a, p: mean(x0, e, a, p, c=(1 - p) ** 0.5)),
        ("you took out β' = 1 − ᾱ_t/ᾱ_prev (the 'large' σ² = β): the posterior's variance is β̃",
         lambda x0, e, a, p: mean(x0, e, a, p, c=(1 - p - (1 - a / p)) ** 0.5)),
        ("you subtracted standard deviations: variances add, and the noise coefficient c has c² + β̃ = 1 − ᾱ_prev",
         lambda x0, e, a, p: mean(x0, e, a, p, c=(1 - p) ** 0.5 - posterior_variance(a, p) ** 0.5)),
        ("the x0 coefficient is √ᾱ_prev (the level the step lands on), not √ᾱ_t",
         lambda x0, e, a, p: mean(x0, e, a, p, c0=a**0.5)),
        ("x_t = √ᾱ_t x0 + √(1−ᾱ_t) ε: you put in (1 − ᾱ_t) ε, the variance, for the noise term",
         lambda x0, e, a, p: posterior_mean(a**0.5 * x0 + (1 - a) * e, x0, a, p)),
        ("the x_t coefficient of μ̃ has the per-step √α = √(ᾱ_t/ᾱ_prev); you used the cumulative √ᾱ_t",
         lambda x0, e, a, p: (p**0.5 * (1 - a / p) * x0 + a**0.5 * (1 - p) * q_sample(x0, a, e)) / (1 - a)),
        ("the ε term has the wrong sign", lambda x0, e, a, p: mean(x0, -e, a, p)),
    ]
    return compare("posterior_mean_x0_eps", fn, trials, posterior_mean_x0_eps_ref, mistakes, what="μ̃")


NOTEBOOK = 2
__all__ = ["check_posterior_mean", "check_posterior_variance", "check_posterior_mean_x0_eps"]
