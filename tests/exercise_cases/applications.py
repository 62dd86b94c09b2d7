"""Typical wrong answers to notebook 10's exercises, each with a piece of the diagnosis it must get."""
import numpy as np

from . import solutions

s10 = solutions(10)


def _x0(x, e, a):
    return (x - (1 - a) ** 0.5 * e) / a**0.5


def _slerp_theta(z0, z1, alpha, theta):
    return (np.sin((1 - alpha) * theta) * z0 + np.sin(alpha * theta) * z1) / np.sin(theta)


def _raw_angle_slerp(z0, z1, alpha):  # arccos of the dot product itself
    return _slerp_theta(z0, z1, alpha, np.arccos(np.clip((z0 * z1).sum(1, keepdims=True), -1, 1)))


def _batch_angle_slerp(z0, z1, alpha):  # one θ from the whole batch
    cos = (z0 * z1).sum() / (np.linalg.norm(z0) * np.linalg.norm(z1))
    return _slerp_theta(z0, z1, alpha, np.arccos(cos))


def _last_axis_slerp(z0, z1, alpha):  # θ along the last axis: right for (B, d), wrong for images
    cos = (z0 * z1).sum(-1, keepdims=True) / (np.linalg.norm(z0, axis=-1, keepdims=True)
                                            * np.linalg.norm(z1, axis=-1, keepdims=True))
    return _slerp_theta(z0, z1, alpha, np.arccos(cos))


def _start_slice(ts, strength):  # forgets max(1, …): an empty slice when round(strength·S) = 0
    return ts[len(ts) - round(strength * len(ts)):][0]


def _start_negative_index(ts, strength):  # forgets max(1, …): ts[-0] is ts[0]
    return ts[-round(strength * len(ts))]


def _replace(x, xk, m, level, z):
    return m * (level**0.5 * xk + (1 - level) ** 0.5 * z) + (1 - m) * x


WRONG = [  # (checker, wrong answer, a piece of the expected diagnosis)
    ("check_ddim_inversion_step", lambda x, e, a, n: n**0.5 * _x0(x, e, n) + (1 - n) ** 0.5 * e,
     "returns x unchanged"),
    ("check_ddim_inversion_step", lambda x, e, a, n: a**0.5 * _x0(x, e, n) + (1 - a) ** 0.5 * e, "roles are swapped"),
    ("check_ddim_inversion_step", lambda x, e, a, n: (n / a) ** 0.5 * x + (1 - n / a) ** 0.5 * e,
     "forward transition"),
    ("check_ddim_inversion_step", lambda x, e, a, n: n**0.5 * _x0(x, e, a) + (1 - a) ** 0.5 * e,
     "direction coefficient belongs to the target level"),
    ("check_ddim_inversion_step", lambda x, e, a, n: a**0.5 * _x0(x, e, a) + (1 - n) ** 0.5 * e, "you used √ᾱ_t"),
    ("check_ddim_inversion_step", lambda x, e, a, n: x + (((1 - n) / n) ** 0.5 - ((1 - a) / a) ** 0.5) * e,
     "Euler step"),
    ("check_slerp", lambda z0, z1, alpha: (1 - alpha) * z0 + alpha * z1, "linear interpolation"),
    ("check_slerp", lambda z0, z1, alpha: s10.slerp(z0, z1, 1 - alpha), "weights are swapped"),
    ("check_slerp", _raw_angle_slerp, "unnormalised dot product"),
    ("check_slerp", _batch_angle_slerp, "one angle for the whole batch"),
    ("check_slerp", _last_axis_slerp, "along the last axis only"),
    ("check_sdedit_start", lambda ts, s: ts[len(ts) - max(1, int(s * len(ts)))], "not int(strength·S)"),
    ("check_sdedit_start", lambda ts, s: ts[:max(1, round(s * len(ts)))][0], "first n elements"),
    ("check_sdedit_start", _start_slice, "max(1, round(strength·S))"),
    ("check_sdedit_start", _start_negative_index, "ts[-0] is ts[0]"),
    ("check_sdedit_start", lambda ts, s: len(ts) - max(1, round(s * len(ts))), "the timestep τ_{S−n} itself"),
    ("check_replace_known", lambda x, xk, m, a, p, z: m * xk + (1 - m) * x, "not x_known itself"),
    ("check_replace_known", lambda x, xk, m, a, p, z: _replace(x, xk, 1 - m, p, z), "mask is inverted"),
    ("check_replace_known", lambda x, xk, m, a, p, z: _replace(x, xk, m, a, z), "the level the step started from"),
    ("check_replace_known", lambda x, xk, m, a, p, z: m * (p**0.5 * xk + (1 - p) * z) + (1 - m) * x,
     "not 1−ᾱ_prev"),
    ("check_replace_known", lambda x, xk, m, a, p, z: p**0.5 * xk + (1 - p) ** 0.5 * z, "you replaced every entry"),
]
