"""Sampling loops over a timestep sequence τ: DDIM, DDPM, and DDIM inversion.

A model is any callable ``model(x_t, t) -> model_output`` with ``t`` the integer timestep.
Each loop walks the noise levels

    ᾱ[τ_0] > ᾱ[τ_1] > … > ᾱ[τ_{S−1}]  →  final_alpha_bar (1 by default: clean data)

pairing each timestep with the **next element of the actual sequence**. diffusers'
``DDIMScheduler.step`` instead goes to ``t − T // S``, which is the next element only for
"leading" spacing (and "trailing" when S divides T); for "linspace" it lands on levels the
sequence never visits (see ``tests/test_conformance_diffusers.py``).

The loops are generators (``reverse_process``, ``inversion_process``) yielding each state, so a
notebook can watch a trajectory; ``sample``/``sample_ddpm``/``invert`` run them to the end.
"""
from __future__ import annotations

from functools import partial
from typing import NamedTuple

import numpy as np

from ._backend import stack, standard_normal
from .schedules import check_timesteps
from .steps import _check_eta, ddim_step, ddpm_step


class Trajectory(NamedTuple):
    """Every state of one run. ``x[0]`` is where it started and ``x[-1]`` where it ended."""

    x: object            # (S+1, *shape) states
    x0_hat: object       # (S, *shape) the model's x0̂ at each step (x_t's own, for inversion)
    timesteps: np.ndarray  # (S,) the model timestep used by each step
    alpha_bar: np.ndarray  # (S+1,) noise level of each state


def check_alpha_bars(alpha_bars) -> np.ndarray:
    """ᾱ as float64, 1-D, within [0, 1] and non-increasing in t."""
    ab = np.asarray(alpha_bars, dtype=np.float64)
    if ab.ndim != 1 or ab.size == 0:
        raise ValueError(f"alpha_bars must be a non-empty 1-D array indexed by timestep, got shape {ab.shape}")
    if not np.all((ab >= 0) & (ab <= 1)):
        raise ValueError("alpha_bars must lie in [0, 1]")
    if np.any(np.diff(ab) > 0):
        raise ValueError("alpha_bars must be non-increasing in t (noise grows with t)")
    return ab


def noise_levels(alpha_bars, timesteps, final_alpha_bar=1.0):
    """(τ, levels): the validated τ and the S+1 levels ᾱ[τ_0], …, ᾱ[τ_{S−1}], final_alpha_bar."""
    ab = check_alpha_bars(alpha_bars)
    ts = check_timesteps(timesteps, len(ab))
    final = float(final_alpha_bar)
    if not ab[ts[-1]] <= final <= 1:
        raise ValueError(f"final_alpha_bar must lie in [alpha_bar[{ts[-1]}], 1] = [{ab[ts[-1]]:.6g}, 1], got {final}")
    return ts, np.append(ab[ts], final)


def _run(states, x_start, levels, timesteps, return_trajectory):
    """Drain a process generator; return the last state or the whole Trajectory."""
    xs, x0s = [x_start], []
    for x, x0_hat in states:
        xs.append(x)
        x0s.append(x0_hat)
    if not return_trajectory:
        return xs[-1]
    return Trajectory(stack(xs), stack(x0s), np.asarray(timesteps), np.asarray(levels))


def reverse_process(model, x_T, alpha_bars, timesteps, step, rng=None, final_alpha_bar=1.0,
                    stochastic=False, callback=None):
    """Yield ``(x_prev, x0_hat)`` for each step τ_i → τ_{i+1} (the last to ``final_alpha_bar``).

    ``step(x_t, model_output, alpha_bar_t, alpha_bar_prev, noise=...)`` is ``ddim_step`` or
    ``ddpm_step`` with its options bound; ``noise`` is drawn from ``rng`` when ``stochastic``.
    """
    ts, levels = noise_levels(alpha_bars, timesteps, final_alpha_bar)
    if stochastic and rng is None:
        raise ValueError("this sampler adds noise: pass rng=np.random.default_rng(seed)")
    x = x_T
    for i, t in enumerate(ts):
        out = model(x, int(t))
        noise = standard_normal(rng, x) if stochastic else None
        x, x0_hat = step(x, out, float(levels[i]), float(levels[i + 1]), noise=noise)
        if callback is not None:
            callback({"i": i, "t": int(t), "x": x, "x0_hat": x0_hat})
        yield x, x0_hat


def sample(model, x_T, alpha_bars, timesteps, eta=0.0, rng=None, final_alpha_bar=1.0, return_trajectory=False,
           prediction_type="epsilon", clip=None, *, sigma_hat=False, callback=None, **step_kwargs):
    """DDIM sampling (Song et al. 2021, Eq. 12) over τ; η = 0 is deterministic, η = 1 is DDPM.

    ``final_alpha_bar`` is the level of the last step's target: 1 (clean data, the paper and
    ``set_alpha_to_one=True``) or ``alpha_bars[0]`` (diffusers' ``set_alpha_to_one=False``).
    Returns x_0, or a :class:`Trajectory` with ``return_trajectory=True``.
    """
    _check_eta(eta)
    step = partial(ddim_step, eta=eta, prediction_type=prediction_type, clip=clip, sigma_hat=sigma_hat,
                   **step_kwargs)
    states = reverse_process(model, x_T, alpha_bars, timesteps, step, rng, final_alpha_bar,
                             stochastic=sigma_hat or eta > 0, callback=callback)
    _, levels = noise_levels(alpha_bars, timesteps, final_alpha_bar)
    return _run(states, x_T, levels, timesteps, return_trajectory)


def sample_ddpm(model, x_T, alpha_bars, timesteps=None, rng=None, variance="small", final_alpha_bar=1.0,
                return_trajectory=False, prediction_type="epsilon", clip=None, *, callback=None, **step_kwargs):
    """Ancestral sampling (DDPM Algorithm 2) over τ, every timestep by default; σ² = β̃ or β'."""
    if timesteps is None:
        timesteps = np.arange(len(alpha_bars))[::-1]
    step = partial(ddpm_step, variance=variance, prediction_type=prediction_type, clip=clip, **step_kwargs)
    states = reverse_process(model, x_T, alpha_bars, timesteps, step, rng, final_alpha_bar, stochastic=True,
                             callback=callback)
    _, levels = noise_levels(alpha_bars, timesteps, final_alpha_bar)
    return _run(states, x_T, levels, timesteps, return_trajectory)


def inversion_process(model, x_0, alpha_bars, timesteps, initial_alpha_bar=1.0, prediction_type="epsilon",
                      eval_at="current"):
    """Yield ``(x_next, x0_hat)`` running DDIM (η = 0) up the levels of τ, from x_0 to x_T.

    ``eval_at="current"`` evaluates ε̂ at the state being moved, labelled with its own timestep
    (x_0 borrows τ's smallest): explicit Euler on the DDIM ODE (Eq. 14) run forward in time.
    ``eval_at="next"`` labels it with the target's timestep instead, as diffusers'
    ``DDIMInverseScheduler`` does.
    """
    if eval_at not in ("current", "next"):
        raise ValueError(f"eval_at must be 'current' or 'next', got {eval_at!r}")
    ts, levels = noise_levels(alpha_bars, timesteps, initial_alpha_bar)
    ts_up, levels_up = ts[::-1], levels[::-1]  # levels_up[0] is x_0's, then ᾱ[τ_{S−1}], …, ᾱ[τ_0]
    x = x_0
    for i in range(len(ts_up)):
        t_model = ts_up[i] if eval_at == "next" else ts_up[max(i - 1, 0)]
        out = model(x, int(t_model))
        x, x0_hat = ddim_step(x, out, float(levels_up[i]), float(levels_up[i + 1]), eta=0.0,
                              prediction_type=prediction_type)
        yield x, x0_hat


def invert(model, x_0, alpha_bars, timesteps, initial_alpha_bar=1.0, return_trajectory=False,
           prediction_type="epsilon", eval_at="current"):
    """DDIM inversion (Song et al. 2021, Sec. 4.3 / Eq. 14 forward in time): x_0 → x_T.

    The inverse of ``sample(..., eta=0)`` on the same τ up to discretisation error.
    Trajectory states run from x_0 up to x_T.
    """
    states = inversion_process(model, x_0, alpha_bars, timesteps, initial_alpha_bar, prediction_type, eval_at)
    ts, levels = noise_levels(alpha_bars, timesteps, initial_alpha_bar)
    ts_up = ts[::-1]
    used = ts_up if eval_at == "next" else np.concatenate([ts_up[:1], ts_up[:-1]])
    return _run(states, x_0, levels[::-1], used, return_trajectory)
