"""Checkers for notebook 04, trajectories: the DDIM sampling loop over τ."""
from __future__ import annotations

from itertools import pairwise

import numpy as np

from ..analytic import GaussianMixture
from ..samplers import sample
from ..schedules import alpha_bars as alpha_bars_ref
from ..schedules import beta_schedule, timesteps
from ..steps import ddim_step, posterior_mean_eps
from .engine import CheckResult, compare


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
