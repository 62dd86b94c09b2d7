"""Second-order deterministic solvers of the DDIM ODE (Song et al. 2021, Eq. 14).

Notation (ᾱ is DDPM's; the DDIM paper writes α):

    x̄ = x/√ᾱ,  σ = √(1−ᾱ)/√ᾱ           the ODE dx̄/dσ = ε̂(x̄√ᾱ, t)      (Eq. 14)
    λ = log(√ᾱ/√(1−ᾱ)) = −log σ        half the log-SNR (DPM-Solver's λ; ``log_snr`` is 2λ)
    h_i = λ_{i+1} − λ_i                  step size in λ
    D_i                                  the x0̂ a step actually uses

One DDIM step (η = 0) from level ᾱ_t to ᾱ_prev is Euler in σ, and also the exact solution of
the ODE when x0̂ is constant over the step. Both solvers below are that very step,
:func:`ddim_step`, fed a better estimate than the model's output at x_t:

* :func:`dpm_solver_2m` — DPM-Solver++(2M) (Lu et al. 2022, Algorithm 2). It extrapolates x0̂
  linearly in λ from the last two model calls,

      D_i = x0̂_i + h_i / (2 h_{i−1}) (x0̂_i − x0̂_{i−1})                                  (2M)

  and takes the DDIM step with x0̂ = D_i. The first step (no history) and a last step onto
  ᾱ = 1 (h = ∞) use D_i = x0̂_i, i.e. plain DDIM. NFE = S, one per step, like DDIM.
* :func:`heun` — Heun's method in σ (Karras et al. 2022, Algorithm 1): an Euler (DDIM) step to
  the next level, a second ε̂ there, and the DDIM step again with the mean slope

      ε̄_i = (ε̂(x_i, τ_i) + ε̂(x̃_{i+1}, τ_{i+1})) / 2                                    (Heun)

  A step whose target level has no timestep of its own (the last, onto ``final_alpha_bar``)
  stays Euler. NFE = 2S − 1.

Written with arithmetic only, so NumPy arrays and torch tensors both work; the signature
follows :func:`ddim_ref.sample`.
"""
from __future__ import annotations

import numpy as np

from .parametrization import check_prediction_type, predict_x0_eps
from .samplers import _run, noise_levels
from .steps import ddim_step

SOLVERS = ("dpm_solver_2m", "heun")


def half_log_snr(alpha_bar):
    """λ = ½ log(ᾱ/(1−ᾱ)) = −log σ; +∞ at ᾱ = 1, −∞ at ᾱ = 0."""
    ab = np.asarray(alpha_bar, dtype=np.float64)
    with np.errstate(divide="ignore"):
        return 0.5 * (np.log(ab) - np.log1p(-ab))


def dpm_solver_2m_process(model, x_T, alpha_bars, timesteps, final_alpha_bar=1.0, prediction_type="epsilon",
                          callback=None):
    """Yield ``(x_prev, x0_hat)`` per step of DPM-Solver++(2M) (Lu et al. 2022, Alg. 2); x0_hat is the model's."""
    check_prediction_type(prediction_type)
    ts, levels = noise_levels(alpha_bars, timesteps, final_alpha_bar)
    lam = half_log_snr(levels)
    h = lam[1:] - lam[:-1]
    x, x0_before = x_T, None
    for i, t in enumerate(ts):
        x0_hat, _ = predict_x0_eps(x, model(x, int(t)), float(levels[i]), prediction_type)
        d = x0_hat
        if x0_before is not None and np.isfinite(h[i]):
            d = x0_hat + float(h[i] / (2 * h[i - 1])) * (x0_hat - x0_before)  # (2M); h[i-1] = ∞ gives 0
        x, _ = ddim_step(x, d, float(levels[i]), float(levels[i + 1]), eta=0.0, prediction_type="sample")
        x0_before = x0_hat
        if callback is not None:
            callback({"i": i, "t": int(t), "x": x, "x0_hat": x0_hat})
        yield x, x0_hat


def heun_process(model, x_T, alpha_bars, timesteps, final_alpha_bar=1.0, prediction_type="epsilon", callback=None):
    """Yield ``(x_prev, x0_hat)`` per step of Heun's method in σ (Karras et al. 2022, Alg. 1)."""
    check_prediction_type(prediction_type)
    ts, levels = noise_levels(alpha_bars, timesteps, final_alpha_bar)
    if levels[0] <= 0:
        raise ValueError("heun integrates in sigma = sqrt(1 - alpha_bar)/sqrt(alpha_bar), infinite at alpha_bar = 0 "
                         "(zero terminal SNR): start below the top timestep or use dpm_solver_2m")
    x = x_T
    for i, t in enumerate(ts):
        ab_t, ab_prev = float(levels[i]), float(levels[i + 1])
        x0_hat, eps_hat = predict_x0_eps(x, model(x, int(t)), ab_t, prediction_type)
        x_euler, _ = ddim_step(x, eps_hat, ab_t, ab_prev, eta=0.0)  # Euler in σ = DDIM
        if i + 1 < len(ts):
            _, eps_next = predict_x0_eps(x_euler, model(x_euler, int(ts[i + 1])), ab_prev, prediction_type)
            x, _ = ddim_step(x, (eps_hat + eps_next) / 2, ab_t, ab_prev, eta=0.0)  # (Heun)
        else:
            x = x_euler
        if callback is not None:
            callback({"i": i, "t": int(t), "x": x, "x0_hat": x0_hat})
        yield x, x0_hat


def dpm_solver_2m(model, x_T, alpha_bars, timesteps, final_alpha_bar=1.0, return_trajectory=False,
                  prediction_type="epsilon", *, callback=None):
    """DPM-Solver++(2M) (Lu et al. 2022, Algorithm 2) over τ: x_T → x_0 with S model calls.

    Returns x_0, or a :class:`~ddim_ref.samplers.Trajectory` (x0_hat = the model's own) with ``return_trajectory``.
    """
    states = dpm_solver_2m_process(model, x_T, alpha_bars, timesteps, final_alpha_bar, prediction_type, callback)
    _, levels = noise_levels(alpha_bars, timesteps, final_alpha_bar)
    return _run(states, x_T, levels, timesteps, return_trajectory)


def heun(model, x_T, alpha_bars, timesteps, final_alpha_bar=1.0, return_trajectory=False, prediction_type="epsilon",
         *, callback=None):
    """Heun's method in σ on the DDIM ODE (Karras et al. 2022, Algorithm 1) over τ: 2S − 1 model calls."""
    states = heun_process(model, x_T, alpha_bars, timesteps, final_alpha_bar, prediction_type, callback)
    _, levels = noise_levels(alpha_bars, timesteps, final_alpha_bar)
    return _run(states, x_T, levels, timesteps, return_trajectory)


def nfe(solver: str, num_steps: int) -> int:
    """Model calls a sampler spends on S steps: S for DDIM, DDPM and 2M; 2S − 1 for Heun."""
    if solver not in SOLVERS + ("ddim", "ddpm"):
        raise ValueError(f"unknown solver {solver!r}; choose one of ddim, ddpm, {', '.join(SOLVERS)}")
    return 2 * num_steps - 1 if solver == "heun" else num_steps


__all__ = ["dpm_solver_2m", "heun", "dpm_solver_2m_process", "heun_process", "half_log_snr", "nfe", "SOLVERS"]
