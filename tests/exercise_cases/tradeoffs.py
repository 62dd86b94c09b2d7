"""Typical wrong answers to notebook 09's exercises, each with a piece of the diagnosis it must get."""
import numpy as np

import ddim_ref as dr

from . import solutions

s9 = solutions(9)


def _mean_distance(a, b, power=1):
    return (np.linalg.norm(a[:, None] - b[None], axis=-1) ** power).mean()


def _summed(x, y):
    def total(a, b):
        return np.linalg.norm(a[:, None] - b[None], axis=-1).sum()
    return 2 * total(x, y) - total(x, x) - total(y, y)


def _nfe(steps, sampler):
    return np.array([dr.SAMPLERS[sampler].nfe(int(s)) for s in steps])


def _slope(x, y):
    return np.polyfit(np.log(x), np.log(y), 1)[0]


def _uniform_then(wrong):
    """The official sequences with the uniform branch replaced."""
    def fn(T, S, skip_type):
        return wrong(T, S) if skip_type == "uniform" else s9.official_timesteps(T, S, skip_type)
    return fn


def _quad_then(wrong):
    """The official sequences with the quad branch replaced."""
    def fn(T, S, skip_type):
        return wrong(T, S) if skip_type == "quad" else s9.official_timesteps(T, S, skip_type)
    return fn


WRONG = [  # (checker, wrong answer, a piece of the expected diagnosis)
    ("check_energy_distance", lambda x, y: 2 * _mean_distance(x, y), "you left out the self terms"),
    ("check_energy_distance", lambda x, y: _mean_distance(x, y) - _mean_distance(x, x) - _mean_distance(y, y),
     "carries a factor 2"),
    ("check_energy_distance", lambda x, y: 2 * _mean_distance(x, y, 2) - _mean_distance(x, x, 2)
     - _mean_distance(y, y, 2), "squared distances"),
    ("check_energy_distance", lambda x, y: 2 * _mean_distance(x, y) - _mean_distance(x, x), "only one self term"),
    ("check_energy_distance", _summed, "you summed the distances"),
    ("check_energy_distance", lambda x, y: s9.energy_distance(x, y) ** 0.5, "you returned √E"),
    ("check_convergence_order", lambda s, e, name: _slope(_nfe(s, name), e), "the slope itself"),
    ("check_convergence_order", lambda s, e, name: -_slope(s, e), "Heun calls the model 2S − 1 times"),
    ("check_convergence_order", lambda s, e, name: -_slope([2 * k if name == "heun" else k for k in s], e),
     "nor 2S"),
    ("check_convergence_order", lambda s, e, name: np.polyfit(1 / _nfe(s, name), e, 1)[0], "against 1/NFE"),
    ("check_convergence_order", lambda s, e, name: -np.log(e[-1] / e[0]) / np.log(_nfe(s, name)[-1] / _nfe(s, name)[0]),
     "end points only"),
    ("check_convergence_order", lambda s, e, name: -1 / _slope(e, _nfe(s, name)), "you regressed log NFE on log error"),
    ("check_official_timesteps", _uniform_then(lambda T, S: np.arange(0, T, T // S)), "ascending"),
    ("check_official_timesteps", _quad_then(lambda T, S: s9.official_timesteps(T, S, "quad")[::-1]), "ascending"),
    ("check_official_timesteps", _uniform_then(lambda T, S: np.arange(0, T, T / S).astype(int)[::-1]), "T // S"),
    ("check_official_timesteps", _uniform_then(lambda T, S: dr.timesteps(T, S, "leading")), "more than S"),
    ("check_official_timesteps", _uniform_then(lambda T, S: dr.timesteps(T, S)), "trailing spacing"),
    ("check_official_timesteps", _quad_then(lambda T, S: np.round(np.linspace(0, (0.8 * T) ** 0.5, S) ** 2)[::-1]),
     "you rounded"),
    ("check_official_timesteps", _quad_then(lambda T, S: np.floor(np.linspace(0, T**0.5, S) ** 2)[::-1]), "0.8 T"),
    ("check_official_timesteps", _quad_then(lambda T, S: dr.timesteps(T, S, "quadratic")), "moved repeated"),
    ("check_official_timesteps", _quad_then(lambda T, S: np.unique(s9.official_timesteps(T, S, "quad"))[::-1]),
     "you removed the repeated"),
]
