"""ddim_ref: a NumPy reference of diffusion sampling — schedules, DDPM and DDIM updates, samplers.

Notation: ᾱ_t (``alpha_bar``) is DDPM's cumulative product of (1 − β); the DDIM paper calls it α_t.
``import ddim_ref`` imports NumPy only; the PyTorch side lives in ``ddim_ref.torch``.
"""
from . import analytic, applications, metrics, solvers
from .interop import SamplerConfig, from_diffusers_config
from .parametrization import (PREDICTION_TYPES, eps_from_v, eps_from_x0, model_target, predict_x0_eps, q_sample,
                              v_from_x0_eps, x0_from_eps, x0_from_v)
from .samplers import (Trajectory, inversion_process, invert, noise_levels, reverse_process, sample, sample_ddpm)
from .schedules import (BETA_SCHEDULES, SPACINGS, alpha_bar_from_sigma, alpha_bars, beta_schedule,
                        betas_from_alpha_bars, check_timesteps, log_snr, rescale_zero_terminal_snr,
                        sigma_from_alpha_bar, snr, timesteps)
from .steps import (ddim_sigma, ddim_step, ddpm_step, dynamic_threshold, posterior_mean, posterior_mean_eps,
                    posterior_variance, process_x0)

__version__ = "0.1.0"
