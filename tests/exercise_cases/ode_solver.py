"""Typical wrong answers to notebook 07's exercises, each with a piece of the diagnosis it must get."""
from . import solutions

s7 = solutions(7)
sig = s7.sigma


def _heun(x, f, a, p, second_level=None, average=True, predictor_in_xbar=False):
    e1 = f(x, a)
    x_pred = s7.ddim_euler(x, e1, a, p)
    x_pred = x_pred / p**0.5 if predictor_in_xbar else x_pred  # the model fed x̄ instead of x
    e2 = f(x_pred, p if second_level is None else second_level)
    return s7.ddim_euler(x, (e1 + e2) / 2 if average else e2, a, p)


WRONG = [  # (checker, wrong answer, a piece of the expected diagnosis)
    ("check_ddim_euler", lambda x, e, a, p: x / a**0.5 + (sig(p) - sig(a)) * e, "that is x̄_prev"),
    ("check_ddim_euler", lambda x, e, a, p: p**0.5 * (x + (sig(p) - sig(a)) * e), "divide x_t by √ᾱ_t"),
    ("check_ddim_euler", lambda x, e, a, p: x + ((1 - p) ** 0.5 - (1 - a) ** 0.5) * e, "Euler in x"),
    ("check_ddim_euler", lambda x, e, a, p: p**0.5 * (x / a**0.5 + (sig(a) - sig(p)) * e), "σ_t − σ_prev"),
    ("check_heun_step", lambda x, f, a, p: s7.ddim_euler(x, f(x, a), a, p), "Euler (DDIM) step only"),
    ("check_heun_step", lambda x, f, a, p: _heun(x, f, a, p, second_level=a), "at the target level"),
    ("check_heun_step", lambda x, f, a, p: _heun(x, f, a, p, average=False), "mean of the two slopes"),
    ("check_heun_step", lambda x, f, a, p: _heun(x, f, a, p, predictor_in_xbar=True), "convert it back"),
]
