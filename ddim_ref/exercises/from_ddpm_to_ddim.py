"""Checkers for notebook 04, from DDPM to DDIM: the DDIM step (Eq. 12) in ε- and x0-form, and the η of σ̂.

Notebook 04 asks for ``check_ddim_step``, ``check_ddim_step_x0`` and ``check_eta_for_sigma_hat``;
``check_x0_from_eps`` (Eq. 9) and ``check_ddim_sigma`` (Eq. 16) stay here for readers who want them.
"""
from __future__ import annotations

import numpy as np

from ..parametrization import eps_from_x0, q_sample, x0_from_eps
from ..steps import ddim_sigma, ddim_step, posterior_mean_eps, posterior_variance
from .engine import CheckResult, compare, level_pairs, normal


def check_x0_from_eps(fn, seed: int = 0) -> CheckResult:
    """Check ``fn(x_t, eps, alpha_bar_t)`` = x0̂ = (x_t − √(1−ᾱ_t) ε̂)/√ᾱ_t (DDIM Eq. 9)."""
    rng = np.random.default_rng(seed)
    trials = [(normal(rng), normal(rng), a) for a, _ in level_pairs(rng, 4)]
    mistakes = [
        ("your x0̂ is off by a factor √ᾱ_t: divide x_t − √(1−ᾱ_t) ε̂ by √ᾱ_t",
         lambda x, e, a: x - (1 - a) ** 0.5 * e),
        ("you multiplied by √ᾱ_t; divide by it", lambda x, e, a: (x - (1 - a) ** 0.5 * e) * a**0.5),
        ("divide by √ᾱ_t, not by ᾱ_t", lambda x, e, a: (x - (1 - a) ** 0.5 * e) / a),
        ("the noise coefficient is √(1−ᾱ_t), not 1−ᾱ_t", lambda x, e, a: (x - (1 - a) * e) / a**0.5),
        ("subtract the noise: x0̂ = (x_t − √(1−ᾱ_t) ε̂)/√ᾱ_t", lambda x, e, a: (x + (1 - a) ** 0.5 * e) / a**0.5),
    ]
    return compare("x0_from_eps", fn, trials, x0_from_eps, mistakes, what="your x0̂",
                  factors=lambda x, e, a: {"√ᾱ_t": a**0.5, "ᾱ_t": a})


def _sigma_trials(rng, n):
    etas = [float(e) for e in rng.uniform(0.1, 0.9, size=n)]
    etas[1], etas[3] = 1.0, 0.0
    return [(a, p, eta) for (a, p), eta in zip(level_pairs(rng, n), etas, strict=True)]


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
        ("η multiplies σ, it does not go under the square root",
         lambda a, p, eta: (eta * posterior_variance(a, p)) ** 0.5),
    ]
    return compare("ddim_sigma", fn, trials, ddim_sigma, mistakes, what="your σ",
                  factors=lambda a, p, eta: {"η": eta} if eta else {})


def check_ddim_step(fn, seed: int = 0) -> CheckResult:
    """Check ``fn(x_t, eps, alpha_bar_t, alpha_bar_prev, eta, noise)`` = x_prev (DDIM Eq. 12)."""
    rng = np.random.default_rng(seed)
    trials = [(normal(rng), normal(rng), a, p, eta, normal(rng)) for a, p, eta in _sigma_trials(rng, 5)]

    def step(x, e, a, p, eta, z, x0=None, direction=None, noise_std=None):
        x0 = x0_from_eps(x, e, a) if x0 is None else x0
        s = ddim_sigma(a, p, eta)
        direction = (1 - p - s**2) ** 0.5 * e if direction is None else direction
        return p**0.5 * x0 + direction + (s if noise_std is None else noise_std) * z

    mistakes = [
        ("you scaled the noise by η instead of σ_t(η)",
         lambda x, e, a, p, eta, z: step(x, e, a, p, eta, z, noise_std=eta)),
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
    return compare("ddim_step", fn, trials, lambda x, e, a, p, eta, z: ddim_step(x, e, a, p, eta, z)[0], mistakes,
                  what="x_prev")


def check_ddim_step_x0(fn, seed: int = 0) -> CheckResult:
    """Check ``fn(x_t, x0_hat, alpha_bar_t, alpha_bar_prev, eta, noise)`` = x_prev for a network that predicts x0.

    The same DDIM step (Eq. 12), given x0̂ instead of ε̂: ε̂ = (x_t − √ᾱ_t x0̂)/√(1−ᾱ_t) is the noise x0̂ implies.
    """
    rng = np.random.default_rng(seed)
    trials = [(normal(rng), normal(rng), a, p, eta, normal(rng)) for a, p, eta in _sigma_trials(rng, 5)]

    def step(x, x0, a, p, eta, z, eps=None, noise_std=None):
        eps = eps_from_x0(x, x0, a) if eps is None else eps
        s = ddim_sigma(a, p, eta)
        return p**0.5 * x0 + (1 - p - s**2) ** 0.5 * eps + (s if noise_std is None else noise_std) * z

    mistakes = [
        ("you passed x0̂ where the ε-form step expects ε̂: first turn x0̂ into the noise it implies, "
         "ε̂ = (x_t − √ᾱ_t x0̂)/√(1−ᾱ_t)",
         lambda x, x0, a, p, eta, z: ddim_step(x, x0, a, p, eta, z)[0]),
        ("your ε̂ has the wrong sign: x_t = √ᾱ_t x0̂ + √(1−ᾱ_t) ε̂ gives ε̂ = (x_t − √ᾱ_t x0̂)/√(1−ᾱ_t)",
         lambda x, x0, a, p, eta, z: step(x, x0, a, p, eta, z, eps=(a**0.5 * x0 - x) / (1 - a) ** 0.5)),
        ("your ε̂ is x_t − √ᾱ_t x0̂: divide it by √(1−ᾱ_t)",
         lambda x, x0, a, p, eta, z: step(x, x0, a, p, eta, z, eps=x - a**0.5 * x0)),
        ("you computed ε̂ with the target level ᾱ_prev; x_t sits at ᾱ_t: ε̂ = (x_t − √ᾱ_t x0̂)/√(1−ᾱ_t)",
         lambda x, x0, a, p, eta, z: step(x, x0, a, p, eta, z, eps=eps_from_x0(x, x0, p))),
        ("that re-noises x0̂ with fresh noise, √ᾱ_prev x0̂ + √(1−ᾱ_prev) z: the forward marginal is not an update rule",
         lambda x, x0, a, p, eta, z: q_sample(x0, p, z)),
        ("you scaled the noise by η instead of σ_t(η)",
         lambda x, x0, a, p, eta, z: step(x, x0, a, p, eta, z, noise_std=eta)),
        ("the direction term is √(1 − ᾱ_prev − σ²) ε̂: you left out σ²",
         lambda x, x0, a, p, eta, z: step(x, x0, a, p, 0.0, 0 * z) + ddim_sigma(a, p, eta) * z),
        ("you left out the noise term σ_t(η) z", lambda x, x0, a, p, eta, z: step(x, x0, a, p, eta, 0 * z)),
    ]
    return compare("ddim_step_x0", fn, trials,
                   lambda x, x0, a, p, eta, z: ddim_step(x, x0, a, p, eta, z, prediction_type="sample")[0],
                   mistakes, what="x_prev")


def check_eta_for_sigma_hat(fn, seed: int = 0) -> CheckResult:
    """Check ``fn(alpha_bar_t, alpha_bar_prev)`` = the η with σ_t(η)² = β' = 1 − ᾱ_t/ᾱ_prev (σ̂², DDIM Sec. 5.1)."""
    rng = np.random.default_rng(seed)
    trials = level_pairs(rng, 4) + [(0.9 * 0.5, 0.5)]

    def reference(a, p):  # σ_t(η)² = η² β̃ = β'
        return (posterior_variance(a, p, "large") / posterior_variance(a, p, "small")) ** 0.5

    mistakes = [
        ("η = 1 gives σ² = β̃ (DDPM's 'small' variance), not β': σ̂ needs η² = β'/β̃", lambda a, p: 1.0 + 0 * a),
        ("the ratio is inverted: σ_t(η)² = η² β̃ = β' needs η² = β'/β̃ = (1−ᾱ_t)/(1−ᾱ_prev), which exceeds 1",
         lambda a, p: 1 / reference(a, p)),
        ("that is η²: take the square root", lambda a, p: reference(a, p) ** 2),
        ("that is σ̂ = √β' itself, the noise std, not the η that produces it", lambda a, p: (1 - a / p) ** 0.5),
        ("that is σ_t(1) = √β̃, the std at η = 1, not an η", lambda a, p: ddim_sigma(a, p, 1.0)),
    ]
    return compare("eta_for_sigma_hat", fn, trials, reference, mistakes, what="your η")


NOTEBOOK = 4
__all__ = ["check_ddim_step", "check_ddim_step_x0", "check_eta_for_sigma_hat", "check_x0_from_eps", "check_ddim_sigma"]
