"""Read a diffusers scheduler config (the ``scheduler_config.json`` beside a published model).

``from_diffusers_config`` rebuilds the same β schedule, timestep rule and final-step
convention, so the reference can re-run a published model's sampler. Option names follow
diffusers where they overlap; missing keys take diffusers' defaults.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .samplers import SAMPLERS
from .schedules import alpha_bars as _alpha_bars
from .schedules import beta_schedule, check_betas, rescale_zero_terminal_snr, timesteps

_DIFFUSERS_SCHEDULES = {"linear": "linear", "scaled_linear": "scaled_linear", "squaredcos_cap_v2": "cosine",
                        "sigmoid": "sigmoid"}
_DDPM_VARIANCES = {"fixed_small": "small", "fixed_large": "large"}


@dataclass(frozen=True)
class SamplerConfig:
    """Everything the reference samplers need to reproduce a diffusers scheduler."""

    betas: np.ndarray
    sampler: str = "ddim"                  # "ddim" or "ddpm"
    prediction_type: str = "epsilon"
    timestep_spacing: str = "leading"
    steps_offset: int = 0
    final_alpha_bar: float = 1.0           # set_alpha_to_one ? 1 : ᾱ_0
    clip: float | None = None              # clip_sample_range if clip_sample
    threshold: float | None = None         # dynamic_thresholding_ratio if thresholding
    sample_max_value: float = 1.0
    variance: str = "small"                # DDPM only: fixed_small / fixed_large
    alpha_bars: np.ndarray = field(init=False, repr=False)

    def __post_init__(self):
        object.__setattr__(self, "alpha_bars", _alpha_bars(self.betas))

    @property
    def num_train_steps(self) -> int:
        return len(self.betas)

    def timesteps(self, num_steps: int) -> np.ndarray:
        return timesteps(self.num_train_steps, num_steps, self.timestep_spacing, self.steps_offset)

    @property
    def common_kwargs(self) -> dict:
        """The contract keywords of this scheduler, which any registered sampler takes."""
        return dict(final_alpha_bar=self.final_alpha_bar, prediction_type=self.prediction_type, clip=self.clip,
                    threshold=self.threshold, sample_max_value=self.sample_max_value)

    @property
    def sampler_kwargs(self) -> dict:
        """The contract keywords and options that reproduce this scheduler (DDIM's ``eta`` is the caller's)."""
        return {**self.common_kwargs, **({"variance": self.variance} if self.sampler == "ddpm" else {})}

    def sample(self, model, x_T, num_steps: int, **kwargs):
        """Run this scheduler's sampler (``SAMPLERS[self.sampler]``) over ``num_steps``; ``kwargs`` add to the
        contract's (``rng=``, ``eta=`` for DDIM, ``callback=``, …)."""
        return SAMPLERS[self.sampler](model, x_T, self.alpha_bars, self.timesteps(num_steps),
                                      **{**self.sampler_kwargs, **kwargs})


def from_diffusers_config(config: dict) -> SamplerConfig:
    """A :class:`SamplerConfig` equal to diffusers' DDIMScheduler / DDPMScheduler built from ``config``."""
    cls = config.get("_class_name", "DDIMScheduler")
    if cls not in ("DDIMScheduler", "DDPMScheduler"):
        raise ValueError(f"only DDIMScheduler and DDPMScheduler configs are supported, got {cls!r}")
    T = int(config.get("num_train_timesteps", 1000))
    if config.get("trained_betas") is not None:
        betas = check_betas(config["trained_betas"])
    else:
        name = config.get("beta_schedule", "linear")
        if name not in _DIFFUSERS_SCHEDULES:
            raise ValueError(f"unsupported beta_schedule {name!r}; supported: {', '.join(_DIFFUSERS_SCHEDULES)}")
        betas = beta_schedule(_DIFFUSERS_SCHEDULES[name], T, beta_start=float(config.get("beta_start", 1e-4)),
                              beta_end=float(config.get("beta_end", 0.02)))
    if config.get("rescale_betas_zero_snr", False):
        betas = rescale_zero_terminal_snr(betas)
    ddpm = cls == "DDPMScheduler"
    variance = config.get("variance_type", "fixed_small")
    if ddpm and variance not in _DDPM_VARIANCES:
        raise ValueError(f"unsupported variance_type {variance!r}; supported: {', '.join(_DDPM_VARIANCES)}")
    ab0 = float(_alpha_bars(betas)[0])
    return SamplerConfig(
        betas=betas,
        sampler="ddpm" if ddpm else "ddim",
        prediction_type=config.get("prediction_type", "epsilon"),
        timestep_spacing=config.get("timestep_spacing", "leading"),
        steps_offset=int(config.get("steps_offset", 0)),
        final_alpha_bar=1.0 if ddpm or config.get("set_alpha_to_one", True) else ab0,
        clip=float(config.get("clip_sample_range", 1.0)) if config.get("clip_sample", True) else None,
        threshold=float(config.get("dynamic_thresholding_ratio", 0.995)) if config.get("thresholding") else None,
        sample_max_value=float(config.get("sample_max_value", 1.0)),
        variance=_DDPM_VARIANCES.get(variance, "small"),
    )
