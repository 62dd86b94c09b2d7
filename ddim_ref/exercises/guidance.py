"""Checkers for notebook 11, guidance: the classifier-free combination, classifier guidance, the tilted Gaussian.

Notation (ᾱ is DDPM's; the DDIM paper writes α; s is diffusers' ``guidance_scale``, the CFG paper's w = s − 1):

    ε̃ = ε_u + s (ε_c − ε_u)                      classifier-free guidance (Ho & Salimans 2022, Eq. 6)
    ε̃ = ε − s √(1−ᾱ) ∇_x log p(c | x_t)           classifier guidance, DDIM form (Dhariwal & Nichol 2021, Alg. 2)
    p(x | c)^s p(x)^{1−s}                         the tilted density both shift the score towards, at one level
"""
from __future__ import annotations

import numpy as np

from ..guidance import cfg_combine, classifier_eps_shift
from .engine import CheckResult, compare, level_pairs, normal


def _scales(rng, n):
    """Guidance scales where every typical mistake differs from the answer: one in (0.2, 0.4), the rest in (1.5, 8)."""
    return [float(rng.uniform(0.2, 0.4))] + [float(s) for s in rng.uniform(1.5, 8.0, size=n - 1)]


def check_cfg_combine(fn, seed: int = 0) -> CheckResult:
    """Check ``fn(eps_uncond, eps_cond, s)`` = ε_u + s (ε_c − ε_u), s = diffusers' ``guidance_scale``."""
    rng = np.random.default_rng(seed)
    shapes = [(6, 2), (4, 3), (2, 1, 4, 4), (5, 2)]
    trials = [(normal(rng, shape), normal(rng, shape), s) for shape, s in zip(shapes, _scales(rng, 4), strict=True)]
    mistakes = [
        ("you scaled the conditional output alone (s ε_c): guidance scales the difference ε_c − ε_u and adds it "
         "to ε_u, so that s = 1 gives ε_c and s = 0 gives ε_u", lambda u, c, s: s * c),
        ("s multiplies the difference ε_c − ε_u, not ε_c: ε_u + s ε_c is not ε_c at s = 1",
         lambda u, c, s: u + s * c),
        ("that is s (ε_c − ε_u), the guidance direction alone: add it to the unconditional ε_u",
         lambda u, c, s: s * (c - u)),
        ("you used (1 + s): that is the CFG paper's (1 + w) ε_c − w ε_u with w = s, but diffusers' guidance_scale "
         "is s = w + 1, so the weight on ε_c is s itself", lambda u, c, s: (1 + s) * c - s * u),
        ("the unconditional and conditional outputs are swapped: ε̃ = ε_u + s (ε_c − ε_u) moves from ε_u towards "
         "ε_c and beyond", lambda u, c, s: c + s * (u - c)),
    ]
    return compare("cfg_combine", fn, trials, cfg_combine, mistakes, what="your guided ε̃")


def classifier_guidance_reference(eps, grad_log_prob, alpha_bar, s):
    """ε̃ = ε + Δε with Δε = −s √(1−ᾱ) ∇_x log p(c | x_t) (:func:`ddim_ref.guidance.classifier_eps_shift`)."""
    return eps + classifier_eps_shift(grad_log_prob, alpha_bar, s)


def check_classifier_guidance(fn, seed: int = 0) -> CheckResult:
    """Check ``fn(eps, grad_log_prob, alpha_bar, s)`` = ε − s √(1−ᾱ) ∇_x log p(c | x_t) (classifier guidance in ε)."""
    rng = np.random.default_rng(seed)
    levels = [a for a, _ in level_pairs(rng, 4)]
    trials = [(normal(rng, (6, 2)), normal(rng, (6, 2)), a, s) for a, s in zip(levels, _scales(rng, 4), strict=True)]
    mistakes = [
        ("the √(1−ᾱ) factor is missing: ∇ log p(c | x_t) is a score, and ε̂ = −√(1−ᾱ) × the score, so the shift "
         "of ε̂ is −s √(1−ᾱ) ∇ log p(c | x_t)", lambda e, g, a, s: e - s * g),
        ("you divided by √(1−ᾱ): that turns ε into a score; here a score is turned into ε, so multiply by √(1−ᾱ)",
         lambda e, g, a, s: e - s * g / (1 - a) ** 0.5),
        ("the factor is the noise std √(1−ᾱ), not the variance 1−ᾱ", lambda e, g, a, s: e - s * (1 - a) * g),
        ("the factor is the noise std √(1−ᾱ), not the signal's √ᾱ", lambda e, g, a, s: e - s * a**0.5 * g),
        ("sign: ε̂ points away from the data (ε̂ = −√(1−ᾱ) × the score), so raising log p(c | x_t) subtracts "
         "s √(1−ᾱ) ∇ log p(c | x_t)", lambda e, g, a, s: e + s * (1 - a) ** 0.5 * g),
        ("that is the shift Δε alone: return the guided ε̃ = ε + Δε", lambda e, g, a, s: -s * (1 - a) ** 0.5 * g),
        ("the guidance scale s is missing", lambda e, g, a, s: e - (1 - a) ** 0.5 * g),
    ]
    return compare("classifier_guidance", fn, trials, classifier_guidance_reference, mistakes, what="your guided ε̃",
                  factors=lambda e, g, a, s: {"√(1−ᾱ)": (1 - a) ** 0.5})


def tilted_gaussian_reference(mean_c, var_c, mean, var, s):
    """[mean, variance] of p(x | c)^s p(x)^{1−s} for p(x | c) = N(mean_c, var_c), p(x) = N(mean, var) (1-D).

    The log-density is a quadratic in x: the precisions add with weights s and 1 − s, and the mean
    is the precision-weighted mean.
    """
    precision = s / var_c + (1 - s) / var
    return np.array([(s * mean_c / var_c + (1 - s) * mean / var) / precision, 1 / precision])


def check_tilted_gaussian(fn, seed: int = 0) -> CheckResult:
    """Check ``fn(mean_c, var_c, mean, var, s)`` = [mean, variance] of N(mean_c, var_c)^s N(mean, var)^{1−s}."""
    rng = np.random.default_rng(seed)
    trials = []
    for s in _scales(rng, 5):
        mean_c, mean = rng.uniform(-2, 2, size=2)
        var_c, var = rng.uniform(0.1, 0.5), rng.uniform(0.8, 2.0)  # the class narrower than p(x): a tilt at any s > 0
        trials.append((float(mean_c), float(var_c), float(mean), float(var), s))

    def tilt(mc, vc, m, v, s, prec=None, mean=None):
        p = s / vc + (1 - s) / v if prec is None else prec
        mu = (s * mc / vc + (1 - s) * m / v) / p if mean is None else mean
        return np.array([mu, 1 / p])

    mistakes = [
        ("powers of densities add their log-densities, so the precisions 1/variance add with weights s and 1 − s; "
         "you combined the variances", lambda mc, vc, m, v, s: tilt(mc, vc, m, v, s, prec=1 / (s * vc + (1 - s) * v),
                                                                    mean=s * mc + (1 - s) * m)),
        ("the variance is right but the mean is the precision-weighted mean (s mean_c / var_c + (1 − s) mean / var) "
         "× variance, not s mean_c + (1 − s) mean",
         lambda mc, vc, m, v, s: tilt(mc, vc, m, v, s, mean=s * mc + (1 - s) * m)),
        ("the mean is right but the variance is the inverse of the precision s / var_c + (1 − s) / var",
         lambda mc, vc, m, v, s: tilt(mc, vc, m, v, s, prec=1 / (s * vc + (1 - s) * v))),
        ("you returned the precision where the variance belongs: invert it",
         lambda mc, vc, m, v, s: tilt(mc, vc, m, v, s) ** np.array([1, -1])),
        ("return the variance, not the standard deviation", lambda mc, vc, m, v, s: tilt(mc, vc, m, v, s) ** [1, 0.5]),
        ("p(x) carries the exponent 1 − s, not 1: you tilted p(x | c)^s p(x)",
         lambda mc, vc, m, v, s: tilt(mc, vc, m, v, s, prec=s / vc + 1 / v,
                                      mean=(s * mc / vc + m / v) / (s / vc + 1 / v))),
        ("the exponents are swapped: s belongs to the class density p(x | c) and 1 − s to p(x)",
         lambda mc, vc, m, v, s: tilt(m, v, mc, vc, s)),
        ("that is p(x | c) itself, the tilt at s = 1 only", lambda mc, vc, m, v, s: np.array([mc, vc])),
        ("you returned [variance, mean]: the order is [mean, variance]",
         lambda mc, vc, m, v, s: tilt(mc, vc, m, v, s)[::-1]),
    ]
    return compare("tilted_gaussian", fn, trials, tilted_gaussian_reference, mistakes,
                  what="your [mean, variance] of the tilt")


NOTEBOOK = 11
__all__ = ["check_cfg_combine", "check_classifier_guidance", "check_tilted_gaussian"]
