"""The ε-networks: a compact U-Net for 1×16×16 digits and an MLP for 2-D toy data.

Both are ``network(x_t, t) -> model_output`` with ``x_t`` a batch and ``t`` integer timesteps,
a LongTensor of shape (B,). Shapes below are for the default ``UNetConfig`` on 16×16 images (the
shipped model, ``TrainConfig``'s recipe, doubles every width: base_channels = 32, 1.97 M parameters):

    x_t (B, 1, 16, 16) ─ conv_in ─ (B, 16, 16, 16)
      down 0: ResBlock                         (B, 16, 16, 16) ─ skip₀ ─ Downsample → 8×8
      down 1: ResBlock                         (B, 32,  8,  8) ─ skip₁ ─ Downsample → 4×4
      down 2: ResBlock + Attention             (B, 64,  4,  4) ─ skip₂
      middle: ResBlock, Attention, ResBlock    (B, 64,  4,  4)
      up 2:   cat skip₂, ResBlock + Attention  (B, 64,  4,  4) ─ Upsample → (B, 32, 8, 8)
      up 1:   cat skip₁, ResBlock              (B, 32,  8,  8) ─ Upsample → (B, 16, 16, 16)
      up 0:   cat skip₀, ResBlock              (B, 16, 16, 16)
    ─ GroupNorm, SiLU, conv_out ─ (B, 1, 16, 16)

Every ResBlock also receives the time embedding: sinusoidal features of t (Vaswani et al. 2017,
as in DDPM) through a two-layer MLP, added per channel after the first convolution. A
class-conditional U-Net (``num_classes`` = K > 0) adds a learned label embedding to it, with label
K the null label (the unconditional model of classifier-free guidance, Ho & Salimans 2022).
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn


def timestep_embedding(t: torch.Tensor, dim: int, dtype=torch.float32, max_period: float = 10000.0) -> torch.Tensor:
    """Sinusoidal features of the timestep: [cos(t ω_i), sin(t ω_i)], ω_i = max_period^(−i/half); (B,) → (B, dim)."""
    half = dim // 2
    freqs = torch.exp(-math.log(max_period) * torch.arange(half, device=t.device, dtype=dtype) / half)
    args = t.to(dtype)[:, None] * freqs[None]  # (B, half)
    return torch.cat([torch.cos(args), torch.sin(args)], dim=1)


class TimeEmbedding(nn.Module):
    """t ↦ MLP(sinusoidal(t)): (B,) → (B, emb_dim)."""

    def __init__(self, base_dim: int, emb_dim: int):
        super().__init__()
        self.base_dim = base_dim
        self.mlp = nn.Sequential(nn.Linear(base_dim, emb_dim), nn.SiLU(), nn.Linear(emb_dim, emb_dim))

    def forward(self, t):
        return self.mlp(timestep_embedding(t, self.base_dim, self.mlp[0].weight.dtype))


# ---------------------------------------------------------------- U-Net
@dataclass
class UNetConfig:
    image_size: int = 16
    in_channels: int = 1
    base_channels: int = 16
    channel_mults: tuple = (1, 2, 4)  # one level per entry; attention at the last (lowest) one
    num_res_blocks: int = 1           # per level, on the way down (one more on the way up takes the skip)
    num_heads: int = 4
    groups: int = 8                   # GroupNorm groups
    dropout: float = 0.0
    num_classes: int = 0              # > 0: class-conditional, labels 0 … num_classes−1 and the null label num_classes

    def __post_init__(self):
        self.channel_mults = tuple(int(m) for m in self.channel_mults)
        if self.image_size % 2 ** (len(self.channel_mults) - 1):
            raise ValueError(f"image_size {self.image_size} must be divisible by 2^(levels-1)")
        if any(self.base_channels * m % self.groups for m in self.channel_mults):
            raise ValueError(f"every width base_channels*mult must be divisible by groups={self.groups}")


class ResBlock(nn.Module):
    """GroupNorm–SiLU–conv, + time embedding, GroupNorm–SiLU–dropout–conv, plus a (1×1) skip.

    (B, c_in, H, W) → (B, c_out, H, W).
    """

    def __init__(self, c_in: int, c_out: int, emb_dim: int, groups: int, dropout: float):
        super().__init__()
        self.norm1, self.conv1 = nn.GroupNorm(groups, c_in), nn.Conv2d(c_in, c_out, 3, padding=1)
        self.emb = nn.Linear(emb_dim, c_out)
        self.norm2, self.conv2 = nn.GroupNorm(groups, c_out), nn.Conv2d(c_out, c_out, 3, padding=1)
        self.dropout = nn.Dropout(dropout)
        self.skip = nn.Conv2d(c_in, c_out, 1) if c_in != c_out else nn.Identity()

    def forward(self, x, emb):
        h = self.conv1(F.silu(self.norm1(x)))                  # (B, c_out, H, W)
        h = h + self.emb(F.silu(emb))[:, :, None, None]         # + per-channel time shift
        h = self.conv2(self.dropout(F.silu(self.norm2(h))))
        return self.skip(x) + h


class Attention(nn.Module):
    """Multi-head self-attention over the H·W positions, residual: (B, C, H, W) → (B, C, H, W)."""

    def __init__(self, channels: int, num_heads: int, groups: int):
        super().__init__()
        self.num_heads = num_heads
        self.norm = nn.GroupNorm(groups, channels)
        self.qkv = nn.Conv2d(channels, 3 * channels, 1)
        self.proj = nn.Conv2d(channels, channels, 1)

    def forward(self, x):
        B, C, H, W = x.shape
        qkv = self.qkv(self.norm(x)).reshape(B, 3, self.num_heads, C // self.num_heads, H * W)
        q, k, v = qkv.transpose(-1, -2).unbind(1)               # each (B, heads, H·W, C/heads)
        h = F.scaled_dot_product_attention(q, k, v)              # (B, heads, H·W, C/heads)
        return x + self.proj(h.transpose(-1, -2).reshape(B, C, H, W))


class UNet(nn.Module):
    """The ε-network for images (DDPM's U-Net, Ho et al. 2020, Appendix B, shrunk for 16×16)."""

    def __init__(self, config: UNetConfig):
        super().__init__()
        self.config = cfg = config
        widths = [cfg.base_channels * m for m in cfg.channel_mults]
        emb_dim = 4 * cfg.base_channels
        last = len(widths) - 1

        def res(c_in, c_out):
            return ResBlock(c_in, c_out, emb_dim, cfg.groups, cfg.dropout)

        self.time_embed = TimeEmbedding(cfg.base_channels, emb_dim)
        # class-conditional: one learned vector per label, plus the null label (index num_classes) for CFG
        self.label_embed = nn.Embedding(cfg.num_classes + 1, emb_dim) if cfg.num_classes else None
        self.conv_in = nn.Conv2d(cfg.in_channels, widths[0], 3, padding=1)
        self.down, self.downsample = nn.ModuleList(), nn.ModuleList()
        c = widths[0]
        for i, w in enumerate(widths):
            self.down.append(nn.ModuleList([res(c if j == 0 else w, w) for j in range(cfg.num_res_blocks)]))
            c = w
            self.downsample.append(nn.Conv2d(w, w, 3, stride=2, padding=1) if i < last else nn.Identity())
        self.down_attn = Attention(c, cfg.num_heads, cfg.groups)
        self.mid1, self.mid_attn, self.mid2 = res(c, c), Attention(c, cfg.num_heads, cfg.groups), res(c, c)
        self.up, self.upsample = nn.ModuleList(), nn.ModuleList()
        for i in reversed(range(len(widths))):
            w = widths[i]
            self.up.append(nn.ModuleList([res(c + w, w)] + [res(w, w) for _ in range(cfg.num_res_blocks - 1)]))
            c = w
            self.upsample.append(nn.Conv2d(w, widths[i - 1], 3, padding=1) if i > 0 else nn.Identity())
            if i > 0:
                c = widths[i - 1]
        self.up_attn = Attention(widths[last], cfg.num_heads, cfg.groups)
        self.norm_out = nn.GroupNorm(cfg.groups, widths[0])
        self.conv_out = nn.Conv2d(widths[0], cfg.in_channels, 3, padding=1)

    def forward(self, x, t, y=None):
        """(B, C, H, W), (B,) integer timesteps [, (B,) labels; None = the null label] → ε̂ (or x0̂ / v̂), (B, C, H, W)."""
        last = len(self.down) - 1
        emb = self.time_embed(t)                                  # (B, 4·base)
        if self.label_embed is not None:                          # + the label's embedding (Ho & Salimans 2022)
            if y is None:
                y = torch.full_like(t, self.config.num_classes)
            emb = emb + self.label_embed(y)
        elif y is not None:
            raise ValueError("this U-Net is unconditional (num_classes = 0): it takes no labels")
        h = self.conv_in(x)                                       # (B, widths[0], H, W)
        skips = []
        for i, (blocks, down) in enumerate(zip(self.down, self.downsample, strict=True)):
            for block in blocks:
                h = block(h, emb)                                 # (B, widths[i], H/2^i, W/2^i)
            if i == last:
                h = self.down_attn(h)
            skips.append(h)
            h = down(h)                                           # halves H, W except at the last level
        h = self.mid2(self.mid_attn(self.mid1(h, emb)), emb)      # (B, widths[-1], lowest, lowest)
        for j, (blocks, up) in enumerate(zip(self.up, self.upsample, strict=True)):
            h = torch.cat([h, skips.pop()], dim=1)                # (B, c + widths[i], ·, ·)
            for block in blocks:
                h = block(h, emb)                                 # (B, widths[i], ·, ·)
            if j == 0:
                h = self.up_attn(h)
            if j < last:
                h = up(F.interpolate(h, scale_factor=2.0, mode="nearest"))  # (B, widths[i−1], 2·, 2·)
        return self.conv_out(F.silu(self.norm_out(h)))


# ---------------------------------------------------------------- MLP for 2-D data
@dataclass
class MLPConfig:
    dim: int = 2
    hidden: int = 128
    num_layers: int = 3
    time_dim: int = 32


class MLP(nn.Module):
    """ε-network for points: [x_t, MLP(sinusoidal(t))] → hidden layers with SiLU → (B, dim)."""

    def __init__(self, config: MLPConfig):
        super().__init__()
        self.config = cfg = config
        self.time_embed = TimeEmbedding(cfg.time_dim, cfg.time_dim)
        layers, width = [], cfg.dim + cfg.time_dim
        for _ in range(cfg.num_layers):
            layers += [nn.Linear(width, cfg.hidden), nn.SiLU()]
            width = cfg.hidden
        self.net = nn.Sequential(*layers, nn.Linear(width, cfg.dim))

    def forward(self, x, t):
        """(B, dim), (B,) integer timesteps → (B, dim)."""
        return self.net(torch.cat([x, self.time_embed(t)], dim=1))


def count_parameters(network: nn.Module) -> int:
    return sum(p.numel() for p in network.parameters())
