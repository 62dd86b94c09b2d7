"""Typical wrong answers to notebook 06's exercises, each with a piece of the diagnosis it must get."""
import numpy as np

from . import solutions

s6 = solutions(6)


def _cov_score(x, mu, cov, a, c, mean=None):
    """−C⁻¹ (x − m) with a given (wrong) covariance C and mean m."""
    m = a**0.5 * mu if mean is None else mean
    return -np.linalg.solve(c, (x - m).T).T


WRONG = [  # (checker, wrong answer, a piece of the expected diagnosis)
    ("check_score_from_eps", lambda e, a: e / (1 - a) ** 0.5, "opposite sign"),
    ("check_score_from_eps", lambda e, a: -e / (1 - a), "not by the variance 1−ᾱ"),
    ("check_score_from_eps", lambda e, a: -e * (1 - a) ** 0.5, "you multiplied by √(1−ᾱ)"),
    ("check_score_from_eps", lambda e, a: -e / ((1 - a) / a) ** 0.5, "score of x̄ = x/√ᾱ"),
    ("check_score_from_eps", lambda e, a: -3 * e / (1 - a) ** 0.5, "off by a constant factor 3"),
    ("check_tweedie_x0", lambda x, s, a: (x + (1 - a) ** 0.5 * s) / a**0.5, "the score term is (1−ᾱ)"),
    ("check_tweedie_x0", lambda x, s, a: (x - (1 - a) * s) / a**0.5, "sign"),
    ("check_tweedie_x0", lambda x, s, a: x + (1 - a) * s, "that is √ᾱ E[x0 | x_t]"),
    ("check_tweedie_x0", lambda x, s, a: (x + (1 - a) * s) / a, "not by ᾱ"),
    ("check_gaussian_score", lambda x, mu, S, a: s6.gaussian_score(x + (a**0.5 - 1) * mu, mu, S, a),
     "you subtracted μ"),
    ("check_gaussian_score", lambda x, mu, S, a: _cov_score(x, mu, S, a, S + np.eye(len(mu))), "not Σ + I"),
    ("check_gaussian_score", lambda x, mu, S, a: _cov_score(x, mu, S, a, S + (1 - a) * np.eye(len(mu))),
     "the data covariance is scaled too"),
    ("check_gaussian_score", lambda x, mu, S, a: -s6.gaussian_score(x, mu, S, a), "wrong sign"),
    ("check_gaussian_score", lambda x, mu, S, a: -(x - a**0.5 * mu) / (1 - a), "the noise alone"),
    ("check_gaussian_score", lambda x, mu, S, a: -(1 - a) ** 0.5 * s6.gaussian_score(x, mu, S, a),
     "that is E[ε | x_t]"),
]
