"""Checkers for notebook 09, step-count trade-offs: the energy distance, an empirical order, the official τ.

Notation: x (n, d) generated points, y (m, d) exact ones; S steps, NFE = model calls (S for DDIM, DDPM and
DPM-Solver++(2M), 2S − 1 for Heun); T training steps.

    E(x, y) = 2 E‖x − y‖ − E‖x − x'‖ − E‖y − y'‖       means over all pairs, the zero diagonal included
                                                        (the V-statistic of ``ddim_ref.metrics.energy_distance``)
    order p:  error ≈ C · NFE^(−p),  p = −(least-squares slope of log error against log NFE)
    official DDIM code (ermongroup/ddim, runners/diffusion.py), run as ``reversed(seq)``:
        skip_type "uniform"  seq = range(0, T, T // S)                          (leading spacing when S divides T)
        skip_type "quad"     seq = [int(s) for s in np.linspace(0, √(0.8 T), S) ** 2]     (repeats kept)

The checkers are NumPy only.
"""
from __future__ import annotations

import numpy as np

from ..metrics import energy_distance
from ..samplers import SAMPLERS
from ..schedules import timesteps
from .engine import CheckResult, compare


# ---------------------------------------------------------------- the energy distance
def _pairwise(a, b, power=1.0, norm="euclidean"):
    diff = a[:, None, :] - b[None, :, :]
    d = np.abs(diff).sum(-1) if norm == "cityblock" else np.sqrt((diff**2).sum(-1))
    return d**power


def _energy(x, y, cross=2.0, self_sign=-1.0, selfs=("x", "y"), power=1.0, norm="euclidean", reduce=np.mean,
            u_statistic=False):
    """E(x, y) with one piece changed: the cross term's factor, the self terms, squared or L1 distances, sums."""
    x, y = np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64)

    def self_term(a):
        d = _pairwise(a, a, power, norm)
        return d.sum() / (len(a) * (len(a) - 1)) if u_statistic else reduce(d)

    out = cross * reduce(_pairwise(x, y, power, norm))
    for name, a in (("x", x), ("y", y)):
        if name in selfs:
            out += self_sign * self_term(a)
    return float(out)


def check_energy_distance(fn, seed: int = 0) -> CheckResult:
    """Check ``fn(x, y)`` = E(x, y) = 2 E‖x − y‖ − E‖x − x'‖ − E‖y − y'‖ for point sets (n, d) and (m, d)."""
    rng = np.random.default_rng(seed)
    shapes = ((40, 25, 2), (30, 30, 2), (20, 35, 3), (16, 12, 1))   # n ≠ m first; d = 1 last (L1 = L2 there)
    trials = [(rng.standard_normal((n, d)), rng.standard_normal((m, d)) * rng.uniform(0.5, 1.5, d)
               + rng.uniform(-1, 1, d)) for n, m, d in shapes]
    accepted = [("you left the zero diagonal out of the self terms (the unbiased U-statistic, which can go "
                 "negative); the library keeps it (the V-statistic): the two agree as n grows",
                 lambda x, y: _energy(x, y, u_statistic=True))]
    mistakes = [
        ("you left out the self terms −E‖x − x'‖ − E‖y − y'‖: without them E(x, x) is not 0, and a wide set "
         "scores worse than a narrow one placed anywhere",
         lambda x, y: _energy(x, y, selfs=())),
        ("only one self term: subtract both E‖x − x'‖ and E‖y − y'‖", lambda x, y: _energy(x, y, selfs=("x",))),
        ("only one self term: subtract both E‖x − x'‖ and E‖y − y'‖", lambda x, y: _energy(x, y, selfs=("y",))),
        ("the cross term carries a factor 2: 2 E‖x − y‖ − E‖x − x'‖ − E‖y − y'‖ (with 1 it is not 0 for equal sets)",
         lambda x, y: _energy(x, y, cross=1.0)),
        ("the self terms are subtracted, not added: 2 E‖x − y‖ − E‖x − x'‖ − E‖y − y'‖",
         lambda x, y: _energy(x, y, self_sign=1.0)),
        ("you used squared distances: with ‖·‖² the three terms collapse to 2‖x̄ − ȳ‖², which compares the means "
         "only; the energy distance uses the distances themselves",
         lambda x, y: _energy(x, y, power=2.0)),
        ("you used the L1 (city-block) distance Σ|x_k − y_k|: the energy distance uses the Euclidean norm ‖x − y‖",
         lambda x, y: _energy(x, y, norm="cityblock")),
        ("you summed the distances: each E is a mean over all pairs (n·m for the cross term, n² and m² for the "
         "self terms), so that E does not grow with the set sizes",
         lambda x, y: _energy(x, y, reduce=np.sum)),
        ("you returned √E: the energy distance here is E itself (some texts call √E the energy distance)",
         lambda x, y: max(_energy(x, y), 0.0) ** 0.5),
    ]
    return compare("energy_distance", fn, trials, energy_distance, mistakes, accepted, what="your E(x, y)")


# ---------------------------------------------------------------- the empirical order of convergence
def _nfe(steps, sampler):
    return np.array([SAMPLERS[sampler].nfe(int(s)) for s in steps], dtype=np.float64)


def reference_convergence_order(steps, errors, sampler) -> float:
    """p in error ≈ C · NFE^(−p): minus the least-squares slope of log error against log NFE."""
    return float(-np.polyfit(np.log(_nfe(steps, sampler)), np.log(errors), 1)[0])


def _order_on(x, errors):
    return float(-np.polyfit(np.log(x), np.log(errors), 1)[0])


def _power_law(rng, steps, sampler, p):
    nfe = _nfe(steps, sampler)
    return rng.uniform(0.5, 5.0) * nfe ** (-p) * np.exp(0.08 * rng.standard_normal(len(nfe)))


def check_convergence_order(fn, seed: int = 0) -> CheckResult:
    """Check ``fn(steps, errors, sampler)`` = p, the empirical order in error ≈ C · NFE^(−p) (NFE from ``sampler``).

    The errors follow a power law in NFE with a little multiplicative noise, so a least-squares fit over all the
    points differs from a line through two of them.
    """
    rng = np.random.default_rng(seed)
    cases = (([10, 20, 50, 100], "heun", 2.0), ([5, 10, 20, 50, 100], "ddim", 1.0),
             ([20, 50, 100, 1000], "dpm_solver_2m", 1.9), ([4, 8, 16, 32, 64], "heun", 1.6),
             ([10, 20, 40], "ddim", 0.9))
    trials = [(np.array(steps), _power_law(rng, steps, sampler, p), sampler) for steps, sampler, p in cases]
    mistakes = [
        ("error ≈ C · NFE^(−p): the order is minus the log-log slope (yours is the slope itself)",
         lambda s, e, name: -reference_convergence_order(s, e, name)),
        ("Heun calls the model 2S − 1 times for S steps: fit against NFE (dr.SAMPLERS[sampler].nfe(S)), not S "
         "(nor 2S, whose log-log slope is the one against S): against S an order is misread wherever NFE ≠ S",
         lambda s, e, name: _order_on(np.asarray(s, dtype=np.float64), e)),
        ("the sign and the steps: the order is minus the slope, against NFE (Heun: 2S − 1), not S",
         lambda s, e, name: -_order_on(np.asarray(s, dtype=np.float64), e)),
        ("fit log error against log NFE: a power law is a straight line in log-log axes. A straight line through "
         "error against 1/NFE assumes order 1 and returns its constant, not the order",
         lambda s, e, name: float(np.polyfit(1 / _nfe(s, name), e, 1)[0])),
        ("take the log of the errors too: fit log error against log NFE",
         lambda s, e, name: float(-np.polyfit(np.log(_nfe(s, name)), e, 1)[0])),
        ("you regressed log NFE on log error: fit log error (y) against log NFE (x); least squares is not symmetric",
         lambda s, e, name: float(-np.polyfit(np.log(e), np.log(_nfe(s, name)), 1)[0])),
        ("you regressed log NFE on log error: fit log error (y) against log NFE (x); least squares is not symmetric",
         lambda s, e, name: float(-1 / np.polyfit(np.log(e), np.log(_nfe(s, name)), 1)[0])),
        ("you took the slope between the end points only: fit a least-squares line through all the points "
         "(np.polyfit(np.log(nfe), np.log(errors), 1))",
         lambda s, e, name: float(-np.log(e[-1] / e[0]) / np.log(_nfe(s, name)[-1] / _nfe(s, name)[0]))),
    ]
    return compare("convergence_order", fn, trials, reference_convergence_order, mistakes, what="your order p")


# ---------------------------------------------------------------- the official DDIM code's timestep sequences
def reference_official_timesteps(T, S, skip_type):
    """τ of ermongroup/ddim, descending as its loop runs it: uniform range(0, T, T // S), quad ⌊linspace(…)²⌋."""
    if skip_type == "uniform":
        seq = np.arange(0, T, T // S)
    elif skip_type == "quad":
        seq = np.array([int(s) for s in np.linspace(0, np.sqrt(T * 0.8), S) ** 2])
    else:
        raise ValueError(f"skip_type is 'uniform' or 'quad', got {skip_type!r}")
    return seq[::-1]


def _official(uniform=None, quad=None):
    """The official sequences with one branch replaced by a wrong one, ``branch(T, S)`` → descending array."""
    def fn(T, S, skip_type):
        wrong = uniform if skip_type == "uniform" else quad
        return reference_official_timesteps(T, S, skip_type) if wrong is None else wrong(T, S)
    return fn


def _quad(T, S, top=0.8, cast=np.floor):
    return cast(np.linspace(0, np.sqrt(T * top), S) ** 2).astype(np.int64)[::-1]


def check_official_timesteps(fn, seed: int = 0) -> CheckResult:
    """Check ``fn(T, S, skip_type)`` = the official DDIM code's τ for skip_type "uniform" / "quad", descending."""
    rng = np.random.default_rng(seed)
    trials = [(1000, 10, "uniform"), (1000, 10, "quad"), (1000, 30, "uniform"), (1000, 20, "quad"),
              (1000, 50, "quad"), (1000, 300, "uniform"), (500, 7, "uniform"), (200, 16, "quad")]
    trials += [(int(T), int(rng.integers(3, T // 4)), kind) for T, kind in ((800, "uniform"), (600, "quad"))]
    mistakes = [
        ("your τ is ascending: the official loop runs over reversed(seq), from high noise down to t = 0 "
         "(return the sequence descending)",
         _official(uniform=lambda T, S: np.arange(0, T, T // S))),
        ("your τ is ascending: the official loop runs over reversed(seq), from high noise down to t = 0 "
         "(return the sequence descending)",
         _official(quad=lambda T, S: _quad(T, S)[::-1])),
        ("the stride is the integer skip = T // S: with the float T / S the points are rounded off an uneven grid, "
         "and you get S of them",
         _official(uniform=lambda T, S: np.arange(0, T, T / S).astype(np.int64)[::-1])),
        ("when S does not divide T, range(0, T, T // S) has ⌈T / (T // S)⌉ entries, more than S: you kept S of them "
         "(as dr.timesteps(T, S, \"leading\") does)",
         _official(uniform=lambda T, S: timesteps(T, S, "leading"))),
        ("that is trailing spacing (it ends at t = T/S − 1): the official uniform skip starts at t = 0",
         _official(uniform=lambda T, S: timesteps(T, S, "trailing"))),
        ("that is linspace spacing (it ends at T − 1): the official uniform skip is range(0, T, T // S)",
         _official(uniform=lambda T, S: timesteps(T, S, "linspace"))),
        ("your τ is shifted by one (diffusers' steps_offset = 1): the official uniform skip starts at t = 0",
         _official(uniform=lambda T, S: np.arange(0, T, T // S)[::-1] + 1)),
        ("int() truncates: the official quad skip floors linspace(0, √(0.8 T), S)²; you rounded",
         _official(quad=lambda T, S: _quad(T, S, cast=np.round))),
        ("the quad skip ends near 0.8 T: it squares linspace(0, √(0.8 T), S), not linspace(0, √T, S)",
         _official(quad=lambda T, S: _quad(T, S, top=1.0))),
        ("square the points: the quad skip is ⌊linspace(0, √(0.8 T), S)²⌋",
         _official(quad=lambda T, S: np.linspace(0, np.sqrt(T * 0.8), S).astype(np.int64)[::-1])),
        ("you moved repeated timesteps up, as dr.timesteps(T, S, \"quadratic\") does: the official code keeps "
         "⌊·⌋'s repeats (for S > √(0.8 T) + 1), and spends a model call on each zero-length step",
         _official(quad=lambda T, S: timesteps(T, S, "quadratic"))),
        ("you removed the repeated timesteps: the official code keeps ⌊·⌋'s repeats (for S > √(0.8 T) + 1), "
         "S entries in all",
         _official(quad=lambda T, S: np.unique(_quad(T, S))[::-1])),
    ]
    return compare("official_timesteps", fn, trials, reference_official_timesteps, mistakes, what="your τ")


NOTEBOOK = 9
__all__ = ["check_energy_distance", "check_convergence_order", "check_official_timesteps"]
