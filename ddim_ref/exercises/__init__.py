"""Self-checking exercises for the notebooks: one module of checkers per notebook, one engine.

Notation (ᾱ is DDPM's; the DDIM paper writes α):

    ᾱ_t, ᾱ_prev     noise levels of the current state and of the step's target (ᾱ_prev > ᾱ_t)
    β' = 1 − ᾱ_t/ᾱ_prev, β̃ = (1−ᾱ_prev)/(1−ᾱ_t) β'    effective β of a step and DDPM's posterior variance
    σ_t(η)          DDIM's noise std (Eq. 16);   x̄ = x/√ᾱ, σ = √(1−ᾱ)/√ᾱ   the ODE variables (Eq. 14)

| checker | learner's function | notebook |
|---|---|---|
| ``check_q_sample`` | ``fn(x0, alpha_bar_t, noise) -> x_t`` | 01 |
| ``check_alpha_bars`` | ``fn(betas) -> alpha_bars`` | 01 |
| ``check_posterior_mean`` | ``fn(x_t, x0, alpha_bar_t, alpha_bar_prev) -> μ̃`` | 02 |
| ``check_posterior_variance`` | ``fn(alpha_bar_t, alpha_bar_prev) -> β̃`` | 02 |
| ``check_x0_from_eps`` | ``fn(x_t, eps, alpha_bar_t) -> x0_hat`` | 03 |
| ``check_ddim_sigma`` | ``fn(alpha_bar_t, alpha_bar_prev, eta) -> σ`` | 03 |
| ``check_ddim_step`` | ``fn(x_t, eps, alpha_bar_t, alpha_bar_prev, eta, noise) -> x_prev`` | 03 |
| ``check_ddim_loop`` | ``fn(model, x_T, alpha_bars, timesteps) -> x_0`` (η = 0) | 04 |
| ``check_ddim_euler`` | ``fn(x_t, eps, alpha_bar_t, alpha_bar_prev) -> x_prev`` (Euler in x̄, σ) | 05 |
| ``check_heun_step`` | ``fn(x_t, eps_model, alpha_bar_t, alpha_bar_prev) -> x_prev``, ``eps_model(x, ᾱ)`` | 05 |

A new notebook's checkers are one module here, built on :func:`ddim_ref.exercises.engine.compare`,
and one line below.
"""
from .ddpm_reverse_process import check_posterior_mean, check_posterior_variance
from .engine import CheckResult
from .forward_process import check_alpha_bars, check_q_sample
from .from_ddpm_to_ddim import check_ddim_sigma, check_ddim_step, check_x0_from_eps
from .ode_solver import check_ddim_euler, check_heun_step
from .trajectories import check_ddim_loop

__all__ = ["CHECKERS", "CheckResult", "check_q_sample", "check_alpha_bars", "check_posterior_mean",
           "check_posterior_variance", "check_x0_from_eps", "check_ddim_sigma", "check_ddim_step", "check_ddim_loop",
           "check_ddim_euler", "check_heun_step"]
CHECKERS = tuple(name for name in __all__ if name.startswith("check_"))
