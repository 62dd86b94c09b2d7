"""Checkers for notebook 07, DDIM is an ODE solver: Euler in σ and one Heun step."""
from __future__ import annotations

import numpy as np

from ..analytic import GaussianMixture
from ..schedules import sigma_from_alpha_bar
from ..solvers import heun
from ..steps import ddim_step
from .engine import CheckResult, compare, level_pairs, normal


def check_ddim_euler(fn, seed: int = 0) -> CheckResult:
    """Check ``fn(x_t, eps, alpha_bar_t, alpha_bar_prev)``: Euler in σ on x̄ = x/√ᾱ equals the DDIM step (Eq. 14)."""
    rng = np.random.default_rng(seed)
    trials = [(normal(rng), normal(rng), a, p) for a, p in level_pairs(rng, 4)]
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
        ("σ is the std √(1−ᾱ)/√ᾱ, not the variance (1−ᾱ)/ᾱ",
         lambda x, e, a, p: euler(x, e, a, p, ds=sig(p) ** 2 - sig(a) ** 2)),
        ("that is Euler in x (x_t + (√(1−ᾱ_prev) − √(1−ᾱ_t)) ε̂), not in x̄ = x/√ᾱ",
         lambda x, e, a, p: x + ((1 - p) ** 0.5 - (1 - a) ** 0.5) * e),
    ]
    return compare("ddim_euler", fn, trials, lambda x, e, a, p: ddim_step(x, e, a, p)[0], mistakes, what="x_prev")


def _heun_reference(x, eps_model, a, p):
    """One step of :func:`ddim_ref.solvers.heun` from ᾱ_t = a to ᾱ_prev = p."""
    levels = np.array([p, a])  # timestep 1 is ᾱ_t, timestep 0 is ᾱ_prev
    states = heun.process(lambda x_, t: eps_model(x_, float(levels[t])), x, levels, [1, 0])
    return next(states).x


def check_heun_step(fn, seed: int = 0) -> CheckResult:
    """Check ``fn(x_t, eps_model, alpha_bar_t, alpha_bar_prev)``: one Heun step in σ (Karras et al. 2022, Alg. 1).

    ``eps_model(x, alpha_bar)`` is the noise prediction at level ᾱ (an exact denoiser's ``.eps`` here).
    """
    rng = np.random.default_rng(seed)
    mixture = GaussianMixture(rng.uniform(-2, 2, size=(3, 2)), rng.uniform(0.05, 0.3, size=3))
    trials = [(rng.standard_normal((6, 2)), mixture.eps, a, p) for a, p in level_pairs(rng, 4)]
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
        ("evaluate the second ε̂ at the target level ᾱ_prev, not at ᾱ_t",
         lambda x, f, a, p: heun(x, f, a, p, at_level=a)),
        ("the predictor is in x̄: convert it back (x = √ᾱ_prev x̄) before calling the model",
         lambda x, f, a, p: heun(x, f, a, p, convert=False)),
        ("Heun uses the mean of the two slopes, not the second one alone",
         lambda x, f, a, p: heun(x, f, a, p, average=False)),
    ]
    return compare("heun_step", fn, trials, _heun_reference, mistakes, what="x_prev")


NOTEBOOK = 7
__all__ = ["check_ddim_euler", "check_heun_step"]
