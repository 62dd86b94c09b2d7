"""The peer a user would pick instead (``bench --peer``): diffusers' ``UNet2DModel`` with diffusers' recipe.

The recipe of diffusers' ``examples/unconditional_image_generation/train_unconditional.py``, on the
same digits, for the same wall time and threads as the shipped recipe: AdamW (lr 1e-4, betas
(0.95, 0.999), weight decay 1e-6), cosine schedule with 500 warmup steps, gradient clipping at 1,
``EMAModel`` (warmup, inv_gamma 1, power 3/4, decay ≤ 0.9999), ``DDPMScheduler.add_noise`` on the
linear β schedule, MSE on ε, batch 16. The network has 1.16 M parameters (widths 32/64/64, one
layer per block, attention at the two lower resolutions). It is then sampled by the same
reference DDIM and scored by the same FD as the shipped model (``demo.run_digits``).
"""
from __future__ import annotations

import time
from types import SimpleNamespace

import torch
import torch.nn.functional as F
from torch import nn

from ..torch.data import DIGITS

BATCH, LR, WARMUP = 16, 1e-4, 500


def peer_unet():
    """UNet2DModel for 1×16×16 digits, 1.16 M parameters."""
    from diffusers import UNet2DModel

    return UNet2DModel(sample_size=16, in_channels=1, out_channels=1, layers_per_block=1,
                       block_out_channels=(32, 64, 64), norm_num_groups=8,
                       down_block_types=("DownBlock2D", "AttnDownBlock2D", "AttnDownBlock2D"),
                       up_block_types=("AttnUpBlock2D", "AttnUpBlock2D", "UpBlock2D"))


class DiffusersEps(nn.Module):
    """A ``UNet2DModel`` as ``network(x_t, t) -> ε̂``, with the ``config`` fields ``DDIM`` reads."""

    def __init__(self, unet):
        super().__init__()
        self.unet = unet
        self.config = SimpleNamespace(in_channels=unet.config.in_channels, image_size=unet.config.sample_size)

    def forward(self, x, t):
        return self.unet(x, t).sample


def train_peer(seconds: float, threads: int = 2, seed: int = 0):
    """Train for ``seconds`` of wall time; returns (the EMA network as DiffusersEps, steps, images/s)."""
    import numpy as np
    from diffusers import DDPMScheduler
    from diffusers.optimization import get_cosine_schedule_with_warmup
    from diffusers.training_utils import EMAModel

    torch.set_num_threads(threads)
    torch.manual_seed(seed)
    with np.load(DIGITS) as f:
        data = torch.from_numpy(f["x_train"]) * 2 - 1
    unet = peer_unet()
    noise_scheduler = DDPMScheduler(num_train_timesteps=1000)
    optimizer = torch.optim.AdamW(unet.parameters(), lr=LR, betas=(0.95, 0.999), weight_decay=1e-6, eps=1e-8)
    generator = torch.Generator().manual_seed(seed)

    def step(scheduler=None, ema=None):
        clean = data[torch.randint(len(data), (BATCH,), generator=generator)]
        noise = torch.randn(clean.shape, generator=generator)
        t = torch.randint(0, 1000, (BATCH,), generator=generator)
        loss = F.mse_loss(unet(noise_scheduler.add_noise(clean, noise, t), t).sample, noise)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(unet.parameters(), 1.0)
        optimizer.step()
        optimizer.zero_grad(set_to_none=True)
        if scheduler is not None:
            scheduler.step()
            ema.step(unet.parameters())

    start = time.perf_counter()
    probe = 20  # time a few steps (at the warmup's tiny learning rate) to size the cosine schedule
    for g in optimizer.param_groups:
        g["lr"] = LR / WARMUP
    for _ in range(probe):
        step()
    per_step = (time.perf_counter() - start) / probe
    total = max(WARMUP + 1, int((seconds - (time.perf_counter() - start)) / per_step))
    for g in optimizer.param_groups:  # the schedule scales the peak rate it finds here
        g["lr"] = LR
    scheduler = get_cosine_schedule_with_warmup(optimizer, WARMUP, total)
    ema = EMAModel(unet.parameters(), decay=0.9999, use_ema_warmup=True, inv_gamma=1.0, power=3 / 4)
    steps = 0
    while time.perf_counter() - start < seconds and steps < total:
        step(scheduler, ema)
        steps += 1
    wall = time.perf_counter() - start
    ema.copy_to(unet.parameters())
    return DiffusersEps(unet.eval()), probe + steps, (probe + steps) * BATCH / wall
