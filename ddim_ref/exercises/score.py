"""Checkers for notebook 06, the score and the probability flow: ε̂ = −√(1−ᾱ) ∇ log p_t, Tweedie, Gaussian data.

Notation (ᾱ is DDPM's; the DDIM paper writes α): x_t = √ᾱ x0 + √(1−ᾱ) ε, p_t the density of x_t,
∇ log p_t(x_t) its score. For x0 ~ N(μ, Σ): x_t ~ N(√ᾱ μ, C), C = ᾱ Σ + (1−ᾱ) I.
"""
from __future__ import annotations

import numpy as np

from ..analytic import Gaussian, GaussianMixture
from ..parametrization import x0_from_eps
from .engine import CheckResult, compare, level_pairs, normal


def _mixture(rng):
    """A random 3-component 2-D mixture with full covariances: real ε̂ and scores for the trials."""
    a = rng.standard_normal((3, 2, 2))
    return GaussianMixture(rng.uniform(-2, 2, size=(3, 2)), 0.1 * a @ np.swapaxes(a, 1, 2) + 0.05 * np.eye(2))


def _levels(rng, n):
    return [a for a, _ in level_pairs(rng, n)]


def score_from_eps_reference(eps, alpha_bar):
    """∇ log p_t = −ε̂ / √(1−ᾱ), as :meth:`ddim_ref.analytic.GaussianMixture.score` computes it."""
    return -eps / (1 - alpha_bar) ** 0.5


def check_score_from_eps(fn, seed: int = 0) -> CheckResult:
    """Check ``fn(eps, alpha_bar)`` = ∇_x log p_t(x_t) = −ε̂ / √(1−ᾱ) (Tweedie; ε̂ = E[ε | x_t])."""
    rng = np.random.default_rng(seed)
    mixture = _mixture(rng)
    trials = [(mixture.eps(normal(rng, (6, 2)), a), a) for a in _levels(rng, 4)]  # real ε̂ of a mixture
    mistakes = [
        ("the score has the opposite sign of ε̂: it points towards the data, the noise points away from it",
         lambda e, a: e / (1 - a) ** 0.5),
        ("divide by the noise std √(1−ᾱ), not by the variance 1−ᾱ", lambda e, a: -e / (1 - a)),
        ("you multiplied by √(1−ᾱ); divide by it (ε̂ = −√(1−ᾱ) ∇ log p_t)", lambda e, a: -e * (1 - a) ** 0.5),
        ("the factor is the noise std √(1−ᾱ), not the signal's √ᾱ", lambda e, a: -e / a**0.5),
        ("−ε̂/σ with σ = √(1−ᾱ)/√ᾱ is the score of x̄ = x/√ᾱ; the score of x_t is −ε̂/√(1−ᾱ)",
         lambda e, a: -e * (a / (1 - a)) ** 0.5),
    ]
    return compare("score_from_eps", fn, trials, score_from_eps_reference, mistakes, what="your score",
                  factors=lambda e, a: {"√(1−ᾱ)": (1 - a) ** 0.5, "1−ᾱ": 1 - a, "√ᾱ": a**0.5})


def tweedie_reference(x_t, score, alpha_bar):
    """E[x0 | x_t] from the score: x0̂ of Eq. 9 with ε̂ = −√(1−ᾱ) ∇ log p_t."""
    return x0_from_eps(x_t, -(1 - alpha_bar) ** 0.5 * score, alpha_bar)


def check_tweedie_x0(fn, seed: int = 0) -> CheckResult:
    """Check ``fn(x_t, score, alpha_bar)`` = E[x0 | x_t] written with the score ∇ log p_t(x_t) (Tweedie's formula)."""
    rng = np.random.default_rng(seed)
    mixture = _mixture(rng)
    trials = []
    for a in _levels(rng, 4):
        x = normal(rng, (6, 2))
        trials.append((x, mixture.score(x, a), a))
    mistakes = [
        ("the score term is (1−ᾱ) ∇ log p_t: one √(1−ᾱ) from ε̂ = −√(1−ᾱ) ∇ log p_t and one from Eq. 9",
         lambda x, s, a: (x + (1 - a) ** 0.5 * s) / a**0.5),
        ("sign: x0̂ = (x_t − √(1−ᾱ) ε̂)/√ᾱ and −√(1−ᾱ) ε̂ = +(1−ᾱ) ∇ log p_t",
         lambda x, s, a: (x - (1 - a) * s) / a**0.5),
        ("that is √ᾱ E[x0 | x_t]: divide by √ᾱ", lambda x, s, a: x + (1 - a) * s),
        ("divide by √ᾱ, not by ᾱ", lambda x, s, a: (x + (1 - a) * s) / a),
        ("the score needs the noise variance 1−ᾱ in front of it", lambda x, s, a: (x + s) / a**0.5),
    ]
    return compare("tweedie_x0", fn, trials, tweedie_reference, mistakes, what="your E[x0 | x_t]",
                  factors=lambda x, s, a: {"√ᾱ": a**0.5, "ᾱ": a})


def _spd(rng, d):
    a = rng.standard_normal((d, d))
    return 0.5 * a @ a.T + 0.1 * np.eye(d)


def gaussian_score_reference(x_t, mean, cov, alpha_bar):
    """∇ log p_t of x_t for x0 ~ N(mean, cov): the library's one-component mixture."""
    return Gaussian(mean, cov).score(x_t, alpha_bar)


def check_gaussian_score(fn, seed: int = 0) -> CheckResult:
    """Check ``fn(x_t, mean, cov, alpha_bar)`` = ∇ log p_t(x_t) for Gaussian data x0 ~ N(μ, Σ); x_t is (n, d)."""
    rng = np.random.default_rng(seed)
    trials = []
    for i, a in enumerate(_levels(rng, 4)):
        d = 2 + i % 2  # 2-D and 3-D, full covariances
        trials.append((normal(rng, (5, d)), rng.uniform(-2, 2, size=d), _spd(rng, d), a))

    def score(x, mu, cov, a, mean=None, c=None, inverse=True):
        c = a * cov + (1 - a) * np.eye(len(mu)) if c is None else c
        diff = x - (a**0.5 * mu if mean is None else mean)
        return -(np.linalg.solve(c, diff.T).T if inverse else diff @ c.T)

    def eye(mu):
        return np.eye(len(mu))

    mistakes = [
        ("the mean of x_t is √ᾱ μ (x_t = √ᾱ x0 + …): you subtracted μ",
         lambda x, mu, S, a: score(x, mu, S, a, mean=mu)),
        ("the mean of x_t is √ᾱ μ, not ᾱ μ", lambda x, mu, S, a: score(x, mu, S, a, mean=a * mu)),
        ("Cov(x_t) = ᾱ Σ + (1−ᾱ) I, not Σ + I: the signal √ᾱ x0 has covariance ᾱ Σ, the noise 1−ᾱ",
         lambda x, mu, S, a: score(x, mu, S, a, c=S + eye(mu))),
        ("the data covariance is scaled too: Cov(x_t) = ᾱ Σ + (1−ᾱ) I, not Σ + (1−ᾱ) I",
         lambda x, mu, S, a: score(x, mu, S, a, c=S + (1 - a) * eye(mu))),
        ("Cov(√ᾱ x0) = ᾱ Σ, not √ᾱ Σ", lambda x, mu, S, a: score(x, mu, S, a, c=a**0.5 * S + (1 - a) * eye(mu))),
        ("the noise √(1−ᾱ) ε has variance 1−ᾱ, not √(1−ᾱ)",
         lambda x, mu, S, a: score(x, mu, S, a, c=a * S + (1 - a) ** 0.5 * eye(mu))),
        ("that is the score of q(x_t | x0 = μ), the noise alone: add the data's own covariance, C = ᾱ Σ + (1−ᾱ) I",
         lambda x, mu, S, a: score(x, mu, S, a, c=(1 - a) * eye(mu))),
        ("wrong sign: the score of N(m, C) is −C⁻¹ (x − m), pointing back to the mean",
         lambda x, mu, S, a: -score(x, mu, S, a)),
        ("invert the covariance: the score of N(m, C) is −C⁻¹ (x − m), not −C (x − m)",
         lambda x, mu, S, a: score(x, mu, S, a, inverse=False)),
        ("that is E[ε | x_t] = −√(1−ᾱ) × the score: divide by −√(1−ᾱ)",
         lambda x, mu, S, a: -(1 - a) ** 0.5 * score(x, mu, S, a)),
        ("Σ is a full matrix: solve with C = ᾱ Σ + (1−ᾱ) I (np.linalg.solve), do not divide by its diagonal",
         lambda x, mu, S, a: -(x - a**0.5 * mu) / (a * np.diag(S) + 1 - a)),
    ]
    return compare("gaussian_score", fn, trials, gaussian_score_reference, mistakes, what="your score",
                  factors=lambda x, mu, S, a: {"√(1−ᾱ)": (1 - a) ** 0.5, "1−ᾱ": 1 - a})


NOTEBOOK = 6
__all__ = ["check_score_from_eps", "check_tweedie_x0", "check_gaussian_score"]
