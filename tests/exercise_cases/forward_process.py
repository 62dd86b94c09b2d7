"""Typical wrong answers to notebook 01's exercises, each with a piece of the diagnosis it must get."""
import numpy as np

from ddim_ref import alpha_bars, log_snr


def _first_below(values, level):
    return int(np.argmax(values < level))


WRONG = [  # (checker, wrong answer, a piece of the expected diagnosis)
    ("check_q_sample", lambda x0, a, e: a * x0 + (1 - a) * e, "take their square roots"),
    ("check_q_sample", lambda x0, a, e: a**0.5 * x0 + (1 - a) * e, "noise coefficient is √(1−ᾱ_t)"),
    ("check_q_sample", lambda x0, a, e: x0 + (1 - a) ** 0.5 * e, "x0 must be scaled by √ᾱ_t"),
    ("check_alpha_bars", lambda b: 1 - b, "per-step α_t"),
    ("check_alpha_bars", lambda b: np.cumprod(np.concatenate([[0.0], b[:-1]]) * -1 + 1), "off by one"),
    ("check_alpha_bars", lambda b: 1 - np.cumsum(b), "first-order approximation"),
    ("check_snr_crossing", lambda b, s: _first_below(alpha_bars(b) / (1 - alpha_bars(b)), s) + 1, "t + 1"),
    ("check_snr_crossing", lambda b, s: int(np.nonzero(alpha_bars(b) / (1 - alpha_bars(b)) >= s)[0][-1]),
     "last t with SNR(t) ≥ snr"),
    ("check_snr_crossing", lambda b, s: _first_below((1 - b) / b, s), "per-step"),
    ("check_snr_crossing", lambda b, s: _first_below(log_snr(alpha_bars(b)), s), "log-SNR"),
    ("check_snr_crossing", lambda b, s: _first_below(alpha_bars(b), s), "ᾱ_t itself"),
    ("check_snr_crossing", lambda b, s: _first_below((1 - alpha_bars(b)) / alpha_bars(b), s), "already holds at t = 0"),
    ("check_snr_crossing", lambda b, s: np.nonzero(alpha_bars(b) / (1 - alpha_bars(b)) < s)[0], "has shape"),
]
