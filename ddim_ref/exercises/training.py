"""Checkers for notebook 03, the training notebook: the simple loss and what its optimum is.

    L_simple = mean over the batch and the coordinates of (ε̂(x_t, t) − ε)²,  x_t = √ᾱ_t x0 + √(1−ᾱ_t) ε
    its minimiser E[ε | x_t] and its floor E Var[ε | x_t], for Gaussian data N(μ, s² I) in closed form
"""
from __future__ import annotations

import numpy as np

from ..analytic import Gaussian
from ..parametrization import model_target, q_sample
from .engine import CheckResult, compare, level_pairs, normal


# ---------------------------------------------------------------- the simple loss
class _TestNetwork:
    """A fixed nonlinear ε-"network" for the trials: depends on x_t and on t, vectorised over a batch."""

    def __init__(self, rng, dim):
        self.w = rng.standard_normal((dim, dim))
        self.c = rng.standard_normal(dim)

    def __call__(self, x_t, t):
        return np.sin(np.asarray(x_t) @ self.w + self.c * (np.asarray(t)[..., None] / 25.0))


def _loss(eps_model, x0, t, noise, alpha_bars, x_t=None, target=None, reduce=np.mean):
    """The simple loss with pieces replaceable by the typical mistakes."""
    ab = alpha_bars[t][:, None]
    x_t = q_sample(x0, ab, noise) if x_t is None else x_t
    target = noise if target is None else target
    return reduce((eps_model(x_t, t) - target) ** 2)


def simple_loss_ref(eps_model, x0, t, noise, alpha_bars):
    """L_simple's Monte Carlo estimate on one batch, as the trainer forms it (``q_sample``, ``model_target``)."""
    ab = alpha_bars[t][:, None]
    return np.mean((eps_model(q_sample(x0, ab, noise), t) - model_target(x0, noise, ab, "epsilon")) ** 2)


def _loss_trials(rng, n=3):
    trials = []
    for _ in range(n):
        T, B, d = int(rng.integers(20, 60)), int(rng.integers(5, 9)), int(rng.integers(2, 4))
        alpha_bars = np.sort(rng.uniform(0.02, 0.98, size=T))[::-1].copy()   # decreasing, like a schedule's
        t = rng.integers(0, T, size=B)
        t[0] = 0                                                             # t = 0 exposes an index shift
        trials.append((_TestNetwork(rng, d), normal(rng, (B, d)), t, normal(rng, (B, d)), alpha_bars))
    return trials


def check_simple_loss(fn, seed: int = 0) -> CheckResult:
    """Check ``fn(eps_model, x0, t, noise, alpha_bars)`` = mean of (ε̂_θ(x_t, t) − ε)² over batch and coordinates."""
    trials = _loss_trials(np.random.default_rng(seed))

    def with_x_t(make):
        return lambda m, x0, t, e, ab: _loss(m, x0, t, e, ab, x_t=make(x0, ab[t][:, None], e))

    mistakes = [
        ("x_t = √ᾱ_t x0 + √(1−ᾱ_t) ε: you used ᾱ_t and 1−ᾱ_t, take their square roots",
         with_x_t(lambda x0, a, e: a * x0 + (1 - a) * e)),
        ("the signal coefficient of x_t is √ᾱ_t, not ᾱ_t", with_x_t(lambda x0, a, e: a * x0 + (1 - a) ** 0.5 * e)),
        ("the noise in x_t is √(1−ᾱ_t) ε: you left out its factor √(1−ᾱ_t)",
         with_x_t(lambda x0, a, e: a**0.5 * x0 + e)),
        ("the noise coefficient of x_t is √(1−ᾱ_t), not 1−ᾱ_t", with_x_t(lambda x0, a, e: a**0.5 * x0 + (1 - a) * e)),
        ("the network sees x_t, not the clean x0: form x_t = √ᾱ_t x0 + √(1−ᾱ_t) ε first",
         lambda m, x0, t, e, ab: _loss(m, x0, t, e, ab, x_t=x0)),
        ("the target of ε-prediction is the noise ε, not x0",
         lambda m, x0, t, e, ab: _loss(m, x0, t, e, ab, target=x0)),
        ("you compared ε̂ with x_t; the target is the noise ε that made x_t",
         lambda m, x0, t, e, ab: _loss(m, x0, t, e, ab, target=q_sample(x0, ab[t][:, None], e))),
        ("off by one index: ᾱ_t is alpha_bars[t] (t is 0-based), not alpha_bars[t − 1]",
         lambda m, x0, t, e, ab: _loss(m, x0, t, e, np.roll(ab, 1))),
        ("off by one index: ᾱ_t is alpha_bars[t], not alpha_bars[t + 1]",
         lambda m, x0, t, e, ab: _loss(m, x0, t, e, np.append(ab[1:], ab[-1]))),
        ("you summed: L_simple is a mean over the batch (an expectation), as the trainer's loss is",
         lambda m, x0, t, e, ab: _loss(m, x0, t, e, ab, reduce=np.sum)),
        ("that is the root of the loss (an RMS): L_simple is the mean of the squares itself",
         lambda m, x0, t, e, ab: _loss(m, x0, t, e, ab) ** 0.5),
        ("that is the mean absolute error: square the differences",
         lambda m, x0, t, e, ab: _loss(m, x0, t, e, ab, reduce=lambda sq: np.mean(sq**0.5))),
        ("return one number, the mean over the batch, not one loss per sample",
         lambda m, x0, t, e, ab: _loss(m, x0, t, e, ab, reduce=lambda sq: sq.mean(1))),
        ("return one number, the mean over the batch, not one loss per sample",
         lambda m, x0, t, e, ab: _loss(m, x0, t, e, ab, reduce=lambda sq: sq.sum(1))),
    ]
    accepted = [("you summed over the coordinates: DDPM's ‖·‖², d times the trainer's per-coordinate mean",
                 lambda m, x0, t, e, ab: _loss(m, x0, t, e, ab, reduce=lambda sq: sq.sum(1).mean()))]
    return compare("simple_loss", fn, trials, simple_loss_ref, mistakes, accepted, what="your loss",
                  factors=lambda m, x0, t, e, ab: {"B (the batch size)": len(x0), "B·d": x0.size})


# ---------------------------------------------------------------- the Bayes-optimal ε̂ and the floor, Gaussian data
def _gaussian_trials(rng, n=4):
    trials = []
    for a, _ in level_pairs(rng, n):
        d = int(rng.integers(2, 4))
        mean = rng.uniform(0.5, 2.0, size=d) * rng.choice([-1, 1], size=d)
        trials.append((normal(rng, (5, d)), a, mean, float(rng.uniform(0.05, 0.6))))
    return trials


def optimal_denoiser_ref(x_t, alpha_bar, mean, var):
    """E[ε | x_t] for data N(mean, var·I) at level ᾱ: the library's exact Gaussian denoiser."""
    return Gaussian(mean, var).eps(x_t, alpha_bar)


def check_optimal_denoiser(fn, seed: int = 0) -> CheckResult:
    """Check ``fn(x_t, alpha_bar, mean, var)`` = E[ε | x_t] for data x0 ~ N(mean, var·I) at noise level ᾱ."""
    trials = _gaussian_trials(np.random.default_rng(seed))

    def gain(a, var, num=None, den=None):  # E[ε | x_t] = num / den · (x_t − √ᾱ μ)
        return ((1 - a) ** 0.5 if num is None else num) / (a * var + 1 - a if den is None else den)

    mistakes = [
        ("you left out the factor √(1−ᾱ): Cov(ε, x_t) = √(1−ᾱ) I, not I",
         lambda x, a, mu, v: gain(a, v, num=1.0) * (x - a**0.5 * mu)),
        ("Var(x_t) = ᾱ s² + (1 − ᾱ): your denominator has 1 where 1 − ᾱ belongs",
         lambda x, a, mu, v: gain(a, v, den=a * v + 1) * (x - a**0.5 * mu)),
        ("the signal in x_t is √ᾱ x0, so its variance is ᾱ s²: your denominator uses s²",
         lambda x, a, mu, v: gain(a, v, den=v + 1 - a) * (x - a**0.5 * mu)),
        ("the signal's variance is ᾱ s²: your denominator uses √ᾱ s²",
         lambda x, a, mu, v: gain(a, v, den=a**0.5 * v + 1 - a) * (x - a**0.5 * mu)),
        ("the mean of x_t is √ᾱ μ, not μ: subtract √ᾱ μ",
         lambda x, a, mu, v: gain(a, v) * (x - mu)),
        ("the mean of x_t is √ᾱ μ, not ᾱ μ", lambda x, a, mu, v: gain(a, v) * (x - a * mu)),
        ("you forgot to subtract the mean of x_t, √ᾱ μ", lambda x, a, mu, v: gain(a, v) * x),
        ("that is E[ε | x_t] for a point mass at μ (s² = 0): the data's spread s² belongs in the denominator",
         lambda x, a, mu, v: (x - a**0.5 * mu) / (1 - a) ** 0.5),
        ("that is E[ε | x_t] for data N(0, I), √(1−ᾱ) x_t: use the data's μ and s²",
         lambda x, a, mu, v: (1 - a) ** 0.5 * x),
        ("your numerator is √ᾱ: Cov(ε, x_t) = √(1−ᾱ) I, so the factor is √(1−ᾱ)",
         lambda x, a, mu, v: gain(a, v, num=a**0.5) * (x - a**0.5 * mu)),
        ("that is E[x0 | x_t] (the denoised mean), not E[ε | x_t]",
         lambda x, a, mu, v: Gaussian(mu, v).x0_mean(x, a)),
        ("the ratio is inverted: E[ε | x_t] = Cov(ε, x_t) Var(x_t)⁻¹ (x_t − √ᾱ μ)",
         lambda x, a, mu, v: (a * v + 1 - a) / (1 - a) ** 0.5 * (x - a**0.5 * mu)),
    ]
    return compare("optimal_denoiser", fn, trials, optimal_denoiser_ref, mistakes, what="your E[ε | x_t]",
                  factors=lambda x, a, mu, v: {"√(1−ᾱ)": (1 - a) ** 0.5, "√ᾱ": a**0.5, "ᾱ s² + 1 − ᾱ": a * v + 1 - a})


def loss_floor_ref(alpha_bar, var):
    """The smallest per-coordinate loss at level ᾱ for data N(μ, var·I): Var[ε | x_t] = ᾱ s² / (ᾱ s² + 1 − ᾱ).

    (ε, x_t) is jointly Gaussian per coordinate with Var ε = 1, Cov = √(1−ᾱ), Var x_t = ᾱ s² + 1 − ᾱ, so
    Var[ε | x_t] = 1 − (1−ᾱ)/(ᾱ s² + 1 − ᾱ), the same for every x_t.
    """
    return alpha_bar * var / (alpha_bar * var + 1 - alpha_bar)


def check_loss_floor(fn, seed: int = 0) -> CheckResult:
    """Check ``fn(alpha_bar, var)`` = E Var[ε | x_t] per coordinate, the loss of the exact denoiser, data N(μ, s² I)."""
    rng = np.random.default_rng(seed)
    trials = [(a, float(v)) for (a, _), v in zip(level_pairs(rng, 5), rng.uniform(0.05, 0.6, size=5), strict=True)]

    def explained(a, v):  # Var E[ε | x_t] per coordinate: the part of ε that x_t predicts
        return (1 - a) / (a * v + 1 - a)

    mistakes = [
        ("that is the variance of E[ε | x_t], the part a network can predict; the floor is what is left, 1 minus it",
         explained),
        ("a perfect network still pays: x_t does not pin down ε, so the floor E Var[ε | x_t] is not 0",
         lambda a, v: 0.0 * a),
        ("1 is the loss of ε̂ = 0, which ignores x_t; the exact denoiser does better",
         lambda a, v: 1.0 + 0.0 * a),
        ("that is a standard deviation: the loss is a mean square, Var[ε | x_t] itself",
         lambda a, v: (a * v / (a * v + 1 - a)) ** 0.5),
        ("the signal in x_t is √ᾱ x0, so its variance is ᾱ s²: you used s²",
         lambda a, v: v / (v + 1 - a)),
        ("Var(x_t) = ᾱ s² + 1 − ᾱ: your denominator has 1 where 1 − ᾱ belongs",
         lambda a, v: a * v / (a * v + 1)),
        ("Var[ε | x_t] = Var ε − Cov²/Var(x_t), with Cov(ε, x_t) = √(1−ᾱ): you did not square the covariance",
         lambda a, v: 1 - (1 - a) ** 0.5 / (a * v + 1 - a)),
        ("that is Var[x0 | x_t], the floor of x0-prediction: condition ε, not x0, on x_t",
         lambda a, v: v * (1 - a) / (a * v + 1 - a)),
    ]
    return compare("loss_floor", fn, trials, loss_floor_ref, mistakes, what="your floor",
                  factors=lambda a, v: {"ᾱ": a, "s²": v, "1 − ᾱ": 1 - a})


NOTEBOOK = 3
__all__ = ["check_simple_loss", "check_optimal_denoiser", "check_loss_floor"]
