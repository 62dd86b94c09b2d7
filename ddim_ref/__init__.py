"""ddim_ref: a NumPy reference of diffusion sampling — schedules, DDPM and DDIM updates, samplers.

Notation: ᾱ_t (``alpha_bar``) is DDPM's cumulative product of (1 − β); the DDIM paper calls it α_t.
``import ddim_ref`` imports NumPy only. The package has three rooms, importing downward only:

* the core (this package's top-level modules, NumPy only): schedules, parametrization, steps,
  samplers and solvers (one contract, one registry: ``SAMPLERS``), analytic, guidance, metrics,
  interop, applications;
* teaching: ``ddim_ref.plot`` (matplotlib imported when called) and ``ddim_ref.exercises``;
* drivers: ``ddim_ref.cli`` (``python -m ddim_ref COMMAND``), which with ``ddim_ref.torch`` are the
  only places torch is imported.
"""
from . import analytic, applications, guidance, metrics, solvers
from .interop import SamplerConfig, from_diffusers_config
from .parametrization import (
                              PREDICTION_TYPES,
                              eps_from_v,
                              eps_from_x0,
                              model_target,
                              predict_x0_eps,
                              q_sample,
                              v_from_x0_eps,
                              x0_from_eps,
                              x0_from_v,
)
from .samplers import (
                              SAMPLERS,
                              Run,
                              Step,
                              Trajectory,
                              inversion_process,
                              invert,
                              noise_levels,
                              reverse_process,
                              sample,
                              sample_ddpm,
)
from .schedules import (
                              BETA_SCHEDULES,
                              DEFAULT_SPACING,
                              SPACINGS,
                              alpha_bar_from_sigma,
                              alpha_bars,
                              beta_schedule,
                              betas_from_alpha_bars,
                              check_timesteps,
                              log_snr,
                              rescale_zero_terminal_snr,
                              sigma_from_alpha_bar,
                              snr,
                              timesteps,
)
from .solvers import dpm_solver_2m, heun
from .steps import (
                              ddim_sigma,
                              ddim_step,
                              ddpm_step,
                              dynamic_threshold,
                              posterior_mean,
                              posterior_mean_eps,
                              posterior_variance,
                              process_x0,
)

__version__ = "0.1.0"

__all__ = [
    # modules
    "analytic", "applications", "guidance", "metrics", "solvers",
    # schedules
    "BETA_SCHEDULES", "DEFAULT_SPACING", "SPACINGS", "alpha_bar_from_sigma", "alpha_bars", "beta_schedule",
    "betas_from_alpha_bars", "check_timesteps", "log_snr", "rescale_zero_terminal_snr", "sigma_from_alpha_bar",
    "snr", "timesteps",
    # parametrization
    "PREDICTION_TYPES", "eps_from_v", "eps_from_x0", "model_target", "predict_x0_eps", "q_sample", "v_from_x0_eps",
    "x0_from_eps", "x0_from_v",
    # steps
    "ddim_sigma", "ddim_step", "ddpm_step", "dynamic_threshold", "posterior_mean", "posterior_mean_eps",
    "posterior_variance", "process_x0",
    # samplers and solvers
    "SAMPLERS", "Run", "Step", "Trajectory", "dpm_solver_2m", "heun", "inversion_process", "invert", "noise_levels",
    "reverse_process", "sample", "sample_ddpm",
    # interop
    "SamplerConfig", "from_diffusers_config",
]
