"""Typical wrong answers to notebook 03's exercises, each with a piece of the diagnosis it must get."""
import numpy as np

from . import solutions

s3 = solutions(3)


def _loss(m, x0, t, e, ab, signal=0.5, noise=0.5, target=None, reduce=np.mean):
    """The simple loss with x_t = ᾱ^signal x0 + (1−ᾱ)^noise ε and a replaceable target and reduction."""
    a = ab[t][:, None]
    x_t = a**signal * x0 + (1 - a) ** noise * e
    return reduce((m(x_t, t) - (e if target is None else target)) ** 2)


def _per_sample(m, x0, t, e, ab):
    return np.array([s3.simple_loss(m, x0[i:i + 1], t[i:i + 1], e[i:i + 1], ab) for i in range(len(t))])


WRONG = [  # (checker, wrong answer, a piece of the expected diagnosis)
    ("check_simple_loss", lambda m, x0, t, e, ab: _loss(m, x0, t, e, ab, signal=1.0, noise=1.0), "square roots"),
    ("check_simple_loss", lambda m, x0, t, e, ab: _loss(m, x0, t, e, ab, signal=1.0), "signal coefficient"),
    ("check_simple_loss", lambda m, x0, t, e, ab: _loss(m, x0, t, e, ab, noise=0.0), "left out its factor √(1−ᾱ_t)"),
    ("check_simple_loss", lambda m, x0, t, e, ab: _loss(m, x0, t, e, ab, target=x0), "not x0"),
    ("check_simple_loss", lambda m, x0, t, e, ab: _loss(m, x0, t, e, ab, reduce=np.sum), "is a mean"),
    ("check_simple_loss", lambda m, x0, t, e, ab: s3.simple_loss(m, x0, t, e, np.roll(ab, 1)), "alpha_bars[t − 1]"),
    ("check_simple_loss", _per_sample, "not one loss per sample"),
    ("check_simple_loss", lambda m, x0, t, e, ab: _loss(m, x0, t, e, ab, reduce=lambda sq: sq.mean(1).sum()),
     "off by a factor B (the batch size)"),
    ("check_optimal_denoiser", lambda x, a, mu, v: (x - a**0.5 * mu) / (a * v + 1 - a), "factor √(1−ᾱ)"),
    ("check_optimal_denoiser", lambda x, a, mu, v: (1 - a) ** 0.5 * (x - a**0.5 * mu) / (a * v + 1),
     "1 where 1 − ᾱ belongs"),
    ("check_optimal_denoiser", lambda x, a, mu, v: (1 - a) ** 0.5 * (x - mu) / (a * v + 1 - a), "not μ"),
    ("check_optimal_denoiser", lambda x, a, mu, v: (x - a**0.5 * mu) / (1 - a) ** 0.5, "point mass"),
    ("check_optimal_denoiser", lambda x, a, mu, v: 2 * s3.optimal_denoiser(x, a, mu, v), "constant factor 2"),
    ("check_loss_floor", lambda a, v: (1 - a) / (a * v + 1 - a), "1 minus it"),
    ("check_loss_floor", lambda a, v: 0.0, "a perfect network still pays"),
    ("check_loss_floor", lambda a, v: v / (v + 1 - a), "you used s²"),
    ("check_loss_floor", lambda a, v: s3.loss_floor(a, v) ** 0.5, "standard deviation"),
]
