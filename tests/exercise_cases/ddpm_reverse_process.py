"""Typical wrong answers to notebook 02's exercises, each with a piece of the diagnosis it must get."""
from . import solutions

SOL = solutions(2)

WRONG = [  # (checker, wrong answer, a piece of the expected diagnosis)
    ("check_posterior_mean", lambda x, x0, a, p: SOL.posterior_mean(x0, x, a, p), "swapped"),
    ("check_posterior_mean", lambda x, x0, a, p: ((p - a) * p**0.5 * x0 + (1 - p + a) ** 0.5 * (1 - p) * x) / (1 - a),
     "not ᾱ_prev − ᾱ_t"),
    ("check_posterior_mean", lambda x, x0, a, p: (p**0.5 * (1 - a / p) * x0 + a**0.5 * (1 - p) * x) / (1 - a),
     "cumulative, not per-step"),
    ("check_posterior_variance", lambda a, p: 1 - a / p, "not β̃_t"),
    ("check_posterior_variance", lambda a, p: SOL.posterior_variance(a, p) ** 0.5, "std"),
    ("check_posterior_mean_x0_eps", lambda x0, e, a, p: p**0.5 * x0 + (1 - p) ** 0.5 * e, "q_sample(x0, ᾱ_prev, ε)"),
    ("check_posterior_mean_x0_eps", lambda x0, e, a, p: p**0.5 * x0 + (a / p - p) ** 0.5 * e, "'large'"),
    ("check_posterior_mean_x0_eps", lambda x0, e, a, p: SOL.posterior_mean(a**0.5 * x0 + (1 - a) * e, x0, a, p),
     "the variance, for the noise term"),
    ("check_posterior_mean_x0_eps", lambda x0, e, a, p: a**0.5 * x0 + (a / p) ** 0.5 * (1 - p) / (1 - a) ** 0.5 * e,
     "not √ᾱ_t"),
    ("check_posterior_mean_x0_eps", lambda x0, e, a, p: 2 * p**0.5 * x0 - SOL.posterior_mean_x0_eps(x0, e, a, p),
     "wrong sign"),
]
