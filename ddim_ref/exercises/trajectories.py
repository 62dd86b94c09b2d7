"""Checkers for notebook 05, trajectories: the DDIM loop over τ, the total turning of a path, x0̂ read off a path.

Notation: a 2-D trajectory has states x_0 … x_S (``traj.x``, shape (S+1, n, 2)) and steps
Δ_i = x_{i+1} − x_i; the total turning K = Σ_i ∠(Δ_i, Δ_{i+1}) adds the S − 1 unsigned angles in radians.
"""
from __future__ import annotations

from itertools import pairwise

import numpy as np

from ..analytic import GaussianMixture
from ..samplers import sample
from ..schedules import alpha_bars as alpha_bars_ref
from ..schedules import beta_schedule, timesteps
from ..steps import ddim_step, posterior_mean_eps
from .engine import CheckResult, compare, level_pairs, normal


def _loop(model, x, pairs):
    """DDIM (η = 0) through ``pairs`` of (model timestep, ᾱ_t, ᾱ_prev); the engine of the wrong loops."""
    for t, a, p in pairs:
        x = ddim_step(x, model(x, int(t)), a, p)[0]
    return x


def _index_loop(model, x, a, ts):
    levels = list(a[ts]) + [1.0]
    for i in range(len(ts)):
        x = ddim_step(x, model(x, i), levels[i], levels[i + 1])[0]
    return x


def _ddpm_mean_loop(model, x, a, ts):
    levels = list(a[ts]) + [1.0]
    for i, t in enumerate(ts):
        x = posterior_mean_eps(x, model(x, int(t)), levels[i], levels[i + 1])
    return x


def check_ddim_loop(fn, seed: int = 0) -> CheckResult:
    """Check ``fn(model, x_T, alpha_bars, timesteps)`` = deterministic DDIM (η = 0) from x_T to ᾱ = 1."""
    rng = np.random.default_rng(seed)
    T = 1000
    ab = alpha_bars_ref(beta_schedule("linear", T))
    mixture = GaussianMixture(rng.uniform(-2, 2, size=(3, 2)), rng.uniform(0.05, 0.3, size=3))
    model = mixture.model(ab)
    trials = [(model, rng.standard_normal((8, 2)), ab, timesteps(T, S, spacing))
              for S, spacing in ((10, "trailing"), (7, "linspace"), (20, "leading"))]

    def nextlevel_pairs(ts, a):
        return [(t, a[t], a[n]) for t, n in pairwise(ts)]

    accepted = [("your last step lands on ᾱ_0 = alpha_bars[0], as diffusers' set_alpha_to_one=False does; "
                 "the paper's goes to ᾱ = 1",
                 lambda m, x, a, ts: _loop(m, x, nextlevel_pairs(ts, a) + [(ts[-1], a[ts[-1]], a[0])]))]
    mistakes = [
        ("your loop stops at t = τ_{S−1} instead of reaching ᾱ = 1: the last step must go to clean data",
         lambda m, x, a, ts: _loop(m, x, nextlevel_pairs(ts, a))),
        ("alpha_bars[-1] is the LAST entry (ᾱ_{T−1} ≈ 0, pure noise), not clean data: the last step goes to ᾱ = 1",
         lambda m, x, a, ts: _loop(m, x, nextlevel_pairs(ts, a) + [(ts[-1], a[ts[-1]], a[-1])])),
        ("you stepped to t − T//S (diffusers' fixed stride) instead of the next element of τ; "
         "they differ for linspace spacing",
         lambda m, x, a, ts: _loop(m, x, [(t, a[t], a[t - len(a) // len(ts)] if t - len(a) // len(ts) >= 0 else 1.0)
                                          for t in ts])),
        ("you stepped to t − 1 instead of the next element of τ: with skipped steps ᾱ_prev is ᾱ[τ_{i+1}]",
         lambda m, x, a, ts: _loop(m, x, [(t, a[t], a[t - 1] if t > 0 else 1.0) for t in ts])),
        ("you called the model with the loop index i: pass the timestep τ_i",
         lambda m, x, a, ts: _index_loop(m, x, a, ts)),
        ("that is DDPM's posterior mean with σ = 0: it is not DDIM and breaks when steps are skipped",
         lambda m, x, a, ts: _ddpm_mean_loop(m, x, a, ts)),
    ]
    return compare("ddim_loop", fn, trials, lambda m, x, a, ts: sample(m, x, a, ts, eta=0.0), mistakes, accepted,
                  what="x_0", nan_hint=" (does a step go to a noisier level, ᾱ_prev < ᾱ_t? √ of a negative number)")


def _turning_angles(xs, signed=False):
    """The S − 1 angles between consecutive steps of each path, shape (S − 1, n)."""
    d = np.diff(np.asarray(xs, dtype=np.float64), axis=0)
    cross = d[:-1, :, 0] * d[1:, :, 1] - d[:-1, :, 1] * d[1:, :, 0]
    dot = (d[:-1] * d[1:]).sum(-1)
    angle = np.arctan2(cross, dot)
    return angle if signed else np.abs(angle)


def _total_turning(xs):
    return _turning_angles(xs).sum(axis=0)


def _turning_paths(rng):
    """Trial paths (S+1, n, 2): random walks, straight runs with one right angle, a polygon, DDIM runs."""
    T = 1000
    ab = alpha_bars_ref(beta_schedule("linear", T))
    mixture = GaussianMixture(rng.uniform(-2, 2, size=(3, 2)), rng.uniform(0.05, 0.3, size=3))
    walk = np.cumsum(rng.standard_normal((13, 5, 2)), axis=0)
    u = np.array([[0.1, 0.3], [-0.2, 0.05]])  # two paths: 5 collinear steps (cos = 1 up to rounding), a right angle
    s = np.arange(9)[:, None, None]
    bent = rng.standard_normal((2, 2)) + np.where(s <= 5, s * u, 5 * u + (s - 5) * np.stack([-u[:, 1], u[:, 0]], -1))
    corners = 2 * np.pi * np.arange(11) / 7  # a heptagon walked 10 sides: 9 turns of 2π/7
    polygon = np.stack([np.cos(corners), np.sin(corners)], -1)[:, None, :] * np.array([1.0, 2.5])[None, :, None]
    x_T = rng.standard_normal((6, 2))
    ddim = sample(mixture.model(ab), x_T, ab, timesteps(T, 12), return_trajectory=True).x
    ddpm = sample(mixture.model(ab), x_T, ab, timesteps(T, 12), eta=1.0, rng=rng, return_trajectory=True).x
    return [(walk,), (bent,), (polygon,), (ddim,), (ddpm,)]


def check_total_turning(fn, seed: int = 0) -> CheckResult:
    """Check ``fn(xs)`` = K per path: xs of shape (S+1, n, 2) → (n,), K = Σ_i ∠(Δ_i, Δ_{i+1}) in radians."""
    rng = np.random.default_rng(seed)

    def cosines(xs):
        d = np.diff(xs, axis=0)
        return (d[1:] * d[:-1]).sum(-1) / (np.linalg.norm(d[1:], axis=-1) * np.linalg.norm(d[:-1], axis=-1))

    def state_angles(xs):  # angles between the position vectors of consecutive states
        x = np.asarray(xs)
        cos = (x[1:] * x[:-1]).sum(-1) / (np.linalg.norm(x[1:], axis=-1) * np.linalg.norm(x[:-1], axis=-1))
        return np.arccos(cos.clip(-1, 1)).sum(axis=0)

    mistakes = [
        ("your K is in degrees: radians, please (np.arccos and np.arctan2 return radians)",
         lambda xs: np.degrees(_total_turning(xs))),
        ("you summed signed angles, so left and right turns cancel (that is the net rotation): "
         "K adds the size |angle| of every turn",
         lambda xs: _turning_angles(xs, signed=True).sum(axis=0)),
        ("you measured angles between the states x_i (vectors from the origin), not between the steps "
         "Δ_i = x_{i+1} − x_i", state_angles),
        ("you left out the first step, from x_T: S + 1 states make S steps and S − 1 turns",
         lambda xs: _total_turning(xs[1:])),
        ("you summed 1 − cos(angle): the angle is arccos of the cosine", lambda xs: (1 - cosines(xs)).sum(axis=0)),
        ("return one K per path, shape (n,): you averaged over the paths", lambda xs: _total_turning(xs).mean()),
        ("you summed over the paths instead of along each path: K has one value per path, shape (n,)",
         lambda xs: _turning_angles(xs).sum(axis=1)),
    ]
    return compare("total_turning", fn, _turning_paths(rng), _total_turning, mistakes, what="your K",
                   nan_hint=" (on a straight segment rounding can push the cosine just past 1: "
                            "clip it to [−1, 1] before np.arccos)")


def _x0_from_states(x_t, x_prev, a, p):
    """x0̂ from two consecutive states of a DDIM η = 0 path: solve x_t = √a x0̂ + √(1−a) ε̂,
    x_prev = √p x0̂ + √(1−p) ε̂ for x0̂."""
    return ((1 - p) ** 0.5 * x_t - (1 - a) ** 0.5 * x_prev) / (a**0.5 * (1 - p) ** 0.5 - p**0.5 * (1 - a) ** 0.5)


def _eps_from_states(x_t, x_prev, a, p):
    return (p**0.5 * x_t - a**0.5 * x_prev) / (p**0.5 * (1 - a) ** 0.5 - a**0.5 * (1 - p) ** 0.5)


def check_x0_hat_from_states(fn, seed: int = 0) -> CheckResult:
    """Check ``fn(x_t, x_prev, alpha_bar_t, alpha_bar_prev)`` = the x0̂ of the η = 0 step that took x_t to x_prev."""
    rng = np.random.default_rng(seed)
    pairs = level_pairs(rng, 4) + [(np.float64(0.3), np.float64(1.0))]  # the last step, onto clean data
    trials = []
    for a, p in pairs:
        x_t, eps = normal(rng), normal(rng)
        trials.append((x_t, ddim_step(x_t, eps, a, p)[0], a, p))
    mistakes = [
        ("that is ε̂, the other unknown of the two equations: you want x0̂", _eps_from_states),
        ("you swapped the states: x_t sits at ᾱ_t and x_prev at ᾱ_prev",
         lambda x, xp, a, p: _x0_from_states(xp, x, a, p)),
        ("the coefficients are square roots: x_t = √ᾱ_t x0̂ + √(1−ᾱ_t) ε̂ (you used ᾱ, not √ᾱ)",
         lambda x, xp, a, p: ((1 - p) * x - (1 - a) * xp) / (a * (1 - p) - p * (1 - a))),
        ("x_prev is x0̂ only on the last step, onto ᾱ_prev = 1: in general solve the two equations for x0̂",
         lambda x, xp, a, p: xp),
        ("x0̂ is not x_prev rescaled: x_prev = √ᾱ_prev x0̂ + √(1−ᾱ_prev) ε̂ still holds the noise",
         lambda x, xp, a, p: xp / p**0.5),
    ]
    return compare("x0_hat_from_states", fn, trials, _x0_from_states, mistakes, what="your x0̂",
                   factors=lambda x, xp, a, p: {"√ᾱ_t": a**0.5, "√ᾱ_prev": p**0.5})


NOTEBOOK = 5
__all__ = ["check_ddim_loop", "check_total_turning", "check_x0_hat_from_states"]
