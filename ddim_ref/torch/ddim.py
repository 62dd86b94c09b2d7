"""The torch mirror of the reference: the same functions, run on tensors.

Nothing here re-derives an equation. ``ddim_step``/``ddpm_step`` *are* the NumPy reference's
functions (written with arithmetic, ``** 0.5`` and ``.clip`` only, they take tensors as they are);
``sample``/``sample_ddpm``/``invert`` call the reference loops of ``ddim_ref.samplers`` and only
translate a ``torch.Generator`` into the ``rng.standard_normal(like)`` the loops draw noise with.
Schedules stay float64 NumPy (ᾱ, the DDIM paper's α); each step receives python floats.

``DDIM`` packages a network and its schedule as an ``nn.Module`` whose ``forward`` samples.
"""
from __future__ import annotations

import numpy as np
import torch
from torch import nn

from .. import samplers as _reference
from ..schedules import alpha_bars as _alpha_bars
from ..schedules import beta_schedule, timesteps
from ..steps import ddim_step, ddpm_step  # the reference functions themselves: they run on tensors

__all__ = ["TorchNoise", "as_model", "ddim_step", "ddpm_step", "sample", "sample_ddpm", "invert", "DDIM"]


class TorchNoise:
    """A ``torch.Generator`` behind the one method the reference loops call: ``standard_normal(like)``."""

    def __init__(self, generator: torch.Generator):
        self.generator = generator

    def standard_normal(self, like: torch.Tensor) -> torch.Tensor:
        return torch.randn(like.shape, generator=self.generator, dtype=like.dtype, device=like.device)


def _rng(rng):
    """A torch.Generator becomes a TorchNoise; None and ready adapters pass through."""
    return TorchNoise(rng) if isinstance(rng, torch.Generator) else rng


def as_model(network: nn.Module):
    """``model(x_t, t: int)`` for the loops: calls ``network(x_t, t·1)`` with a LongTensor (B,), without grad."""

    @torch.no_grad()
    def model(x_t, t):
        return network(x_t, torch.full((x_t.shape[0],), int(t), dtype=torch.long, device=x_t.device))

    return model


def sample(model, x_T, alpha_bars, timesteps, eta=0.0, rng=None, **kwargs):
    """DDIM sampling (Song et al. 2021, Eq. 12) on tensors; ``rng`` is a ``torch.Generator``. See ``ddim_ref.sample``."""
    return _reference.sample(model, x_T, alpha_bars, timesteps, eta, _rng(rng), **kwargs)


def sample_ddpm(model, x_T, alpha_bars, timesteps=None, rng=None, **kwargs):
    """Ancestral sampling (DDPM Algorithm 2) on tensors; ``rng`` is a ``torch.Generator``. See ``ddim_ref.sample_ddpm``."""
    return _reference.sample_ddpm(model, x_T, alpha_bars, timesteps, _rng(rng), **kwargs)


def invert(model, x_0, alpha_bars, timesteps, **kwargs):
    """DDIM inversion x_0 → x_T (Song et al. 2021, Sec. 4.3) on tensors. See ``ddim_ref.invert``."""
    return _reference.invert(model, x_0, alpha_bars, timesteps, **kwargs)


class DDIM(nn.Module):
    """A trained network with its schedule; ``forward(x_T, eta, num_steps, spacing, generator)`` returns x_0.

    ``betas`` is the β array (length T) or a schedule name for ``ddim_ref.beta_schedule(betas, T)``.
    """

    def __init__(self, network: nn.Module, betas, T: int | None = None, prediction_type: str = "epsilon"):
        super().__init__()
        if isinstance(betas, str):
            if T is None:
                raise ValueError("a named beta schedule needs T, the number of training steps")
            betas = beta_schedule(betas, T)
        betas = np.asarray(betas, dtype=np.float64)
        if T is not None and len(betas) != T:
            raise ValueError(f"betas has {len(betas)} entries but T = {T}")
        self.network = network
        self.betas = betas
        self.alpha_bars = _alpha_bars(betas)  # float64 NumPy, the reference's
        self.T = len(betas)
        self.prediction_type = prediction_type

    @torch.no_grad()
    def forward(self, x_T, eta=0.0, num_steps=None, spacing="trailing", generator=None, **kwargs):
        """DDIM from x_T over ``num_steps`` (all T if None) timesteps spaced by ``spacing``."""
        tau = timesteps(self.T, self.T if num_steps is None else num_steps, spacing)
        return sample(as_model(self.network), x_T, self.alpha_bars, tau, eta, generator,
                      prediction_type=self.prediction_type, **kwargs)

    @torch.no_grad()
    def sample_ddpm(self, x_T, num_steps=None, spacing="trailing", generator=None, **kwargs):
        """Ancestral sampling (DDPM Algorithm 2) over ``num_steps`` timesteps (all T if None)."""
        tau = timesteps(self.T, self.T if num_steps is None else num_steps, spacing)
        return sample_ddpm(as_model(self.network), x_T, self.alpha_bars, tau, generator,
                           prediction_type=self.prediction_type, **kwargs)

    @classmethod
    def from_checkpoint(cls, path=None, map_location="cpu") -> "DDIM":
        """Load a checkpoint (the shipped digits model by default) ready to sample, in eval mode."""
        from .checkpoint import SHIPPED_CHECKPOINT, load_checkpoint, schedule_betas

        network, config = load_checkpoint(SHIPPED_CHECKPOINT if path is None else path, map_location)
        return cls(network.eval(), schedule_betas(config["schedule"]), prediction_type=config["prediction_type"])
