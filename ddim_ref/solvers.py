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

Written with arithmetic only, so NumPy arrays and torch tensors both work. Each is one loop over a
:class:`~ddim_ref.samplers.Run` and one registry line: both follow the sampler contract of
:mod:`ddim_ref.samplers` and are in ``ddim_ref.SAMPLERS``.
"""
from __future__ import annotations

import numpy as np

from .samplers import SAMPLERS
from .steps import ddim_step

SOLVERS = ("dpm_solver_2m", "heun")


def half_log_snr(alpha_bar):
    """λ = ½ log(ᾱ/(1−ᾱ)) = −log σ; +∞ at ᾱ = 1, −∞ at ᾱ = 0."""
    ab = np.asarray(alpha_bar, dtype=np.float64)
    with np.errstate(divide="ignore"):
        return 0.5 * (np.log(ab) - np.log1p(-ab))


def dpm_solver_2m_x0(x0_hat, x0_before, h, h_before):
    """D_i = x0̂_i + h_i / (2 h_{i−1}) (x0̂_i − x0̂_{i−1})  (Lu et al. 2022, Algorithm 2)."""
    return x0_hat + float(h / (2 * h_before)) * (x0_hat - x0_before)


def heun_eps(eps_hat, eps_next):
    """ε̄_i = (ε̂(x_i, τ_i) + ε̂(x̃_{i+1}, τ_{i+1})) / 2, the mean slope of Heun's step (Karras et al. 2022, Alg. 1)."""
    return (eps_hat + eps_next) / 2


def dpm_solver_2m_steps(model, x, run):
    """DPM-Solver++(2M) (Lu et al. 2022, Algorithm 2): the DDIM step with x0̂ extrapolated linearly in λ; NFE = S.

    The first step (no history) and a last step onto ᾱ = 1 (h = ∞) are plain DDIM. Thresholding and
    clipping act on each model x0̂ before the extrapolation, as in diffusers.
    """
    lam = half_log_snr(run.levels)
    h = lam[1:] - lam[:-1]
    x0_before = None
    for i, t in enumerate(run.timesteps):
        x0_hat, _ = run.predict(x, model(x, t), i)
        first_order = x0_before is None or not np.isfinite(h[i])
        d = x0_hat if first_order else dpm_solver_2m_x0(x0_hat, x0_before, h[i], h[i - 1])
        x_prev, _ = ddim_step(x, d, *run.levels_at(i), prediction_type="sample")
        x0_before = x0_hat
        x = yield run.record(i, x_prev, x0_hat)


def heun_steps(model, x, run):
    """Heun's method in σ on the DDIM ODE (Karras et al. 2022, Algorithm 1); NFE = 2S − 1.

    A step whose target level has no timestep of its own (the last, onto ``final_alpha_bar``) stays Euler (DDIM).
    """
    if run.levels[0] <= 0:
        raise ValueError("heun integrates in sigma = sqrt(1 - alpha_bar)/sqrt(alpha_bar), infinite at alpha_bar = 0 "
                         "(zero terminal SNR): start below the top timestep or use dpm_solver_2m")
    S = len(run.timesteps)
    for i, t in enumerate(run.timesteps):
        x0_hat, eps_hat = run.predict(x, model(x, t), i)
        x_prev, _ = ddim_step(x, eps_hat, *run.levels_at(i))  # Euler in σ = DDIM
        if i + 1 < S:
            _, eps_next = run.predict(x_prev, model(x_prev, run.timesteps[i + 1]), i + 1)
            x_prev, _ = ddim_step(x, heun_eps(eps_hat, eps_next), *run.levels_at(i))
        x = yield run.record(i, x_prev, x0_hat)


dpm_solver_2m = SAMPLERS.register("dpm_solver_2m", dpm_solver_2m_steps, multistep=True)
heun = SAMPLERS.register("heun", heun_steps, nfe=lambda num_steps: 2 * num_steps - 1)


def nfe(solver: str, num_steps: int) -> int:
    """Model calls a registered sampler spends on S steps: S for DDIM, DDPM and 2M; 2S − 1 for Heun."""
    return SAMPLERS[solver].nfe(num_steps)


__all__ = ["dpm_solver_2m", "heun", "dpm_solver_2m_steps", "heun_steps", "dpm_solver_2m_x0", "heun_eps",
           "half_log_snr", "nfe", "SOLVERS"]
