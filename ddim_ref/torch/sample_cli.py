"""``python -m ddim_ref sample``: a grid of images (or a scatter of 2-D points) from a checkpoint.

    python -m ddim_ref sample --steps 50 --eta 0 --num 64 --seed 0 --out samples.png
    python -m ddim_ref sample --sampler ddpm --steps 1000 --out ddpm.png

DDIM (``--sampler ddim``, any η ≥ 0) or ancestral DDPM (``--sampler ddpm``, β̃ variance) over
``--steps`` timesteps spaced by ``--spacing``; x_T and all noise come from ``torch.Generator``
seeded with ``--seed``. Bad input exits with code 2 and one line on stderr.
"""
from __future__ import annotations

import argparse
import math
import time

from ..schedules import SPACINGS


def add_arguments(parser: argparse.ArgumentParser) -> None:
    # numbers arrive as text and are checked in main(), so a bad value is one line, not argparse's usage dump
    parser.add_argument("--checkpoint", default=None, help="checkpoint file (default: the shipped data/digits16_unet.pt)")
    parser.add_argument("--sampler", default="ddim", help="ddim (any eta) or ddpm (ancestral, beta-tilde variance)")
    parser.add_argument("--steps", default="50", metavar="S", help="number of sampling steps, 1..T (default 50)")
    parser.add_argument("--eta", default="0", metavar="E", help="DDIM eta >= 0: 0 deterministic, 1 DDPM-like (default 0)")
    parser.add_argument("--spacing", default="quadratic",
                        help=f"timestep spacing: {', '.join(SPACINGS)} (default quadratic, as the demo)")
    parser.add_argument("--num", default="64", metavar="N", help="number of samples (default 64)")
    parser.add_argument("--seed", default="0", metavar="K", help="seed of the torch.Generator (default 0)")
    parser.add_argument("--clip", default=None, metavar="C", help="clip x0_hat to [-C, C] (default: no clipping)")
    parser.add_argument("--out", default="samples.png", help="output PNG (default samples.png)")


def _number(name, text, kind, lo=None, hi=None):
    """``kind(text)`` within [lo, hi], else a one-line ValueError naming the option."""
    try:
        value = kind(text)
    except (TypeError, ValueError):
        raise ValueError(f"--{name} must be {'an integer' if kind is int else 'a number'}, got {text!r}") from None
    if (kind is float and not math.isfinite(value)) or (lo is not None and value < lo) or (hi is not None and value > hi):
        bounds = f"in [{lo}, {hi}]" if hi is not None else f">= {lo}"
        raise ValueError(f"--{name} must be {bounds}, got {text!r}")
    return value


def save_grid(x, path, nrow=None):
    """Save images (N, C, H, W) in [−1, 1] as one PNG grid, or 2-D points (N, 2) as a scatter plot."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from ..plot import tile_images
    from .metrics import to_images

    x = x.detach().cpu().double().numpy()
    if x.ndim == 2:
        fig, ax = plt.subplots(figsize=(4, 4))
        ax.scatter(x[:, 0], x[:, 1], s=3)
        ax.set_aspect("equal")
        fig.savefig(path, dpi=100, bbox_inches="tight")
        plt.close(fig)
        return
    grid = tile_images(to_images(x).mean(axis=1), ncols=nrow or math.ceil(math.sqrt(len(x))))  # channels → grey
    plt.imsave(path, grid, cmap="gray", vmin=0, vmax=1)


def main(args) -> int:
    import torch

    from .ddim import DDIM

    if args.sampler not in ("ddim", "ddpm"):
        raise ValueError(f"--sampler must be 'ddim' or 'ddpm', got {args.sampler!r}")
    if args.spacing not in SPACINGS:
        raise ValueError(f"--spacing must be one of {', '.join(SPACINGS)}, got {args.spacing!r}")
    eta = _number("eta", args.eta, float, 0)
    num = _number("num", args.num, int, 1, 100_000)
    seed = _number("seed", args.seed, int, 0)
    clip = None if args.clip is None else _number("clip", args.clip, float, 1e-12)
    ddim = DDIM.from_checkpoint(args.checkpoint)
    steps = _number("steps", args.steps, int, 1, ddim.T)
    torch.set_num_threads(2)
    generator = torch.Generator().manual_seed(seed)
    config = ddim.network.config
    shape = (config.dim,) if hasattr(config, "dim") else (config.in_channels, config.image_size, config.image_size)
    x_T = torch.randn((num, *shape), generator=generator)
    start = time.perf_counter()
    if args.sampler == "ddim":
        x_0 = ddim(x_T, eta=eta, num_steps=steps, spacing=args.spacing, generator=generator, clip=clip)
    else:
        x_0 = ddim.sample_ddpm(x_T, num_steps=steps, spacing=args.spacing, generator=generator, clip=clip)
    seconds = time.perf_counter() - start
    save_grid(x_0, args.out)
    print(f"{num} samples, {args.sampler} S={steps} eta={eta if args.sampler == 'ddim' else 'n/a'} "
          f"{args.spacing}, {seconds:.1f} s -> {args.out}")
    return 0
