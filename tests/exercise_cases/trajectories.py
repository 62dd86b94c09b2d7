"""Typical wrong answers to notebook 05's exercises, each with a piece of the diagnosis it must get."""
import numpy as np

from ddim_ref import ddim_step

from . import solutions

s3 = solutions(4)
s5 = solutions(5)


def _stride_loop(model, x, ab, ts):
    stride = len(ab) // len(ts)
    for t in ts:
        prev = ab[t - stride] if t - stride >= 0 else 1.0
        x = s3.ddim_step(x, model(x, t), ab[t], prev, 0.0, 0.0)
    return x


def _loop_to(last_level, stop_early=False):
    def loop(model, x, ab, ts):  # with the library's step, which allows ᾱ_prev < ᾱ_t at η = 0
        for i, t in enumerate(ts):
            if i + 1 < len(ts):
                prev = ab[ts[i + 1]]
            elif stop_early:
                break
            else:
                prev = last_level(ab)
            x = ddim_step(x, model(x, t), ab[t], prev)[0]
        return x
    return loop


def _index_loop(model, x, ab, ts):
    levels = list(ab[ts]) + [1.0]
    for i in range(len(ts)):
        x = s3.ddim_step(x, model(x, i), levels[i], levels[i + 1], 0.0, 0.0)
    return x


def _ddpm_mean_loop(model, x, ab, ts):
    levels = list(ab[ts]) + [1.0]
    for i, t in enumerate(ts):
        alpha = levels[i] / levels[i + 1]  # per-step α of the skipping step
        x = (x - (1 - alpha) / (1 - levels[i]) ** 0.5 * model(x, t)) / alpha**0.5
    return x


def _signed_turning(xs):
    d = np.diff(xs, axis=0)
    cross = d[:-1, :, 0] * d[1:, :, 1] - d[:-1, :, 1] * d[1:, :, 0]
    return np.arctan2(cross, (d[:-1] * d[1:]).sum(-1)).sum(axis=0)


def _unclipped_turning(xs):
    d = np.diff(xs, axis=0)
    cos = (d[1:] * d[:-1]).sum(-1) / (np.linalg.norm(d[1:], axis=-1) * np.linalg.norm(d[:-1], axis=-1))
    return np.arccos(cos).sum(axis=0)


def _x0_via_eps_guess(x, xp, a, p):  # treats x_prev − x_t as if it were the noise
    return (x - (1 - a) ** 0.5 * (xp - x)) / a**0.5


WRONG = [  # (checker, wrong answer, a piece of the expected diagnosis)
    ("check_ddim_loop", _loop_to(None, stop_early=True), "stops at t = τ_{S−1}"),
    ("check_ddim_loop", _loop_to(lambda ab: ab[-1]), "alpha_bars[-1] is the LAST entry"),
    ("check_ddim_loop", _stride_loop, "fixed stride"),
    ("check_ddim_loop", _index_loop, "loop index"),
    ("check_ddim_loop", _ddpm_mean_loop, "DDPM's posterior mean with σ = 0"),
    ("check_total_turning", lambda xs: np.degrees(s5.total_turning(xs)), "in degrees"),
    ("check_total_turning", _signed_turning, "signed angles"),
    ("check_total_turning", lambda xs: s5.total_turning(xs[1:]), "left out the first step"),
    ("check_total_turning", lambda xs: s5.total_turning(xs).mean(), "you averaged over the paths"),
    ("check_total_turning", _unclipped_turning, "clip it to [−1, 1]"),
    ("check_total_turning", lambda xs: 2 * s5.total_turning(xs), "off by a constant factor 2"),
    ("check_x0_hat_from_states", lambda x, xp, a, p: s5.x0_hat_from_states(xp, x, a, p), "swapped the states"),
    ("check_x0_hat_from_states", lambda x, xp, a, p: xp, "x_prev is x0̂ only on the last step"),
    ("check_x0_hat_from_states", lambda x, xp, a, p: ((1 - p) * x - (1 - a) * xp) / (a * (1 - p) - p * (1 - a)),
     "the coefficients are square roots"),
    ("check_x0_hat_from_states", lambda x, xp, a, p: -s5.x0_hat_from_states(x, xp, a, p), "has the wrong sign"),
    ("check_x0_hat_from_states", _x0_via_eps_guess, "your x0̂ is wrong"),
]
