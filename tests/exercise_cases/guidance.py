"""Typical wrong answers to notebook 11's exercises (guidance), each with a piece of the diagnosis it must get."""
import numpy as np

from . import solutions

s11 = solutions(11)


def _tilt(mean_c, var_c, mean, var, s, precision, centre):
    """[centre, 1 / precision]: a tilt with a (wrong) precision or mean."""
    return np.array([centre, 1 / precision])


WRONG = [  # (checker, wrong answer, a piece of the expected diagnosis)
    ("check_cfg_combine", lambda u, c, s: s * c, "scaled the conditional output alone"),
    ("check_cfg_combine", lambda u, c, s: u + (1 + s) * (c - u), "(1 + s)"),
    ("check_cfg_combine", lambda u, c, s: c + s * (u - c), "swapped"),
    ("check_cfg_combine", lambda u, c, s: s * (c - u), "the guidance direction alone"),
    ("check_cfg_combine", lambda u, c, s: u + s * c, "not ε_c"),
    ("check_cfg_combine", lambda u, c, s: 2 * s11.cfg_combine(u, c, s), "off by a constant factor 2"),
    ("check_classifier_guidance", lambda e, g, a, s: e - s * g, "the √(1−ᾱ) factor is missing"),
    ("check_classifier_guidance", lambda e, g, a, s: e - s * g / (1 - a) ** 0.5, "you divided by √(1−ᾱ)"),
    ("check_classifier_guidance", lambda e, g, a, s: e - s * (1 - a) * g, "not the variance 1−ᾱ"),
    ("check_classifier_guidance", lambda e, g, a, s: e + s * (1 - a) ** 0.5 * g, "sign"),
    ("check_classifier_guidance", lambda e, g, a, s: -s * (1 - a) ** 0.5 * g, "the shift Δε alone"),
    ("check_classifier_guidance", lambda e, g, a, s: e - (1 - a) ** 0.5 * g, "the guidance scale s is missing"),
    ("check_tilted_gaussian",
     lambda mc, vc, m, v, s: _tilt(mc, vc, m, v, s, 1 / (s * vc + (1 - s) * v), s * mc + (1 - s) * m),
     "you combined the variances"),
    ("check_tilted_gaussian",
     lambda mc, vc, m, v, s: _tilt(mc, vc, m, v, s, s / vc + (1 - s) / v, s * mc + (1 - s) * m),
     "precision-weighted mean"),
    ("check_tilted_gaussian", lambda mc, vc, m, v, s: s11.tilted_gaussian(mc, vc, m, v, s) ** np.array([1, -1]),
     "you returned the precision"),
    ("check_tilted_gaussian", lambda mc, vc, m, v, s: s11.tilted_gaussian(m, v, mc, vc, s), "swapped"),
    ("check_tilted_gaussian", lambda mc, vc, m, v, s: s11.tilted_gaussian(mc, vc, m, v, s)[::-1],
     "the order is [mean, variance]"),
]
