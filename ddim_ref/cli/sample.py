"""``python -m ddim_ref sample``: samples from a checkpoint, as a PNG grid (or scatter) or a ``.npy`` array.

    python -m ddim_ref sample --steps 50 --eta 0 --num 64 --seed 0 --out samples.png
    python -m ddim_ref sample --sampler ddpm --steps 1000 --out ddpm.png
    python -m ddim_ref sample --sampler dpm_solver_2m --steps 10 --out samples.npy   # (N, C, H, W) in [0, 1]
    python -m ddim_ref sample --checkpoint data/digits16_cond_unet.pt --label 3 --guidance-scale 3 --out threes.npy
    python -m ddim_ref sample --diffusers ddpm-cifar10-32 --steps 50 --eta 0 --num 16 --out cifar.png

Any registered sampler (``ddim_ref.SAMPLERS``) over ``--steps`` timesteps spaced by ``--spacing``;
x_T and all noise come from one ``torch.Generator`` seeded with ``--seed``. Bad input exits with
code 2 and one line on stderr, and nothing is written.
"""
from __future__ import annotations

import inspect
import math
import time

import numpy as np

from ..samplers import SAMPLERS
from ..schedules import DEFAULT_SPACING, SPACINGS
from . import options


def add_arguments(parser) -> None:
    add = options.add
    add(parser, "--checkpoint", options.existing_path("checkpoint file"), None,
        "checkpoint file (none: the shipped data/digits16_unet.pt, or data/digits16_cond_unet.pt with --label)")
    add(parser, "--diffusers", options.existing_path("diffusers model folder"), None,
        "a diffusers-format folder (model_index.json + unet/ + scheduler/, or a UNet2DModel folder with "
        "scheduler_config.json) instead of a checkpoint")
    add(parser, "--sampler", options.choice(SAMPLERS), "ddim", "registered sampler")
    add(parser, "--steps", options.integer(1, 100_000), 50, "number of sampling steps S (at most the model's T)")
    add(parser, "--eta", options.number(0, 1), None, "DDIM's eta: 0 deterministic, 1 DDPM-like (ddim only; none: 0)")
    add(parser, "--spacing", options.choice(SPACINGS), DEFAULT_SPACING, "timestep spacing of tau")
    add(parser, "--num", options.integer(1, 100_000), 64, "number of samples")
    add(parser, "--seed", options.integer(0, 2**63 - 1), 0, "seed of the torch.Generator (x_T and all noise)")
    add(parser, "--clip", options.number(0, lo_open=True), None, "clip x0_hat to [-C, C] (none: no clipping)")
    add(parser, "--label", options.integer(0, 9999), None,
        "class of every sample, for a class-conditional checkpoint (none: unconditional)")
    add(parser, "--guidance-scale", options.number(0, 100), 1.0,
        "classifier-free guidance scale s with --label: 1 conditional, 0 unconditional, > 1 guided")
    add(parser, "--threads", options.integer(1, 256), 2, "torch CPU threads")
    add(parser, "--device", options.choice(("cpu", "cuda")), "cpu", "where the network runs (noise: on the CPU)")
    add(parser, "--out", options.output_file(".png", ".npy"), "samples.png",
        "output: .png for a grid, .npy for the array (N, C, H, W) in [0, 1] (a .png grid beside it)")


def save_grid(x, path, nrow=None):
    """Save images (N, C, H, W) in [−1, 1] as one PNG grid, or 2-D points (N, 2) as a scatter plot."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from ..metrics import to_images
    from ..plot import tile_images

    x = np.asarray(x, dtype=np.float64)
    if x.ndim == 2:
        fig, ax = plt.subplots(figsize=(4, 4))
        ax.scatter(x[:, 0], x[:, 1], s=3)
        ax.set_aspect("equal")
        fig.savefig(path, dpi=110, bbox_inches="tight")
        plt.close(fig)
        return
    images = to_images(x)
    images = images if images.shape[1] in (1, 3) else images.mean(axis=1, keepdims=True)  # other channels → grey
    grid = tile_images(images, ncols=nrow or math.ceil(math.sqrt(len(x))))
    plt.imsave(path, grid if grid.ndim == 3 else grid, cmap=None if grid.ndim == 3 else "gray", vmin=0, vmax=1)


def sampler_options(sampler: str, eta) -> dict:
    """The sampler's own options the command line sets: ``eta`` for samplers that take one."""
    own = inspect.signature(SAMPLERS[sampler]).parameters
    if eta is None:
        return {}
    if "eta" not in own:
        raise ValueError(f"--eta applies to samplers with an eta option (ddim), not {sampler}")
    return {"eta": eta}


def _checkpoint_sampler(args, own):
    """(x_T shape, run(x_T, generator)) for a ddim_ref checkpoint."""
    from ..torch.ddim import DDIM

    if args.label is None and args.guidance_scale != 1.0:
        raise ValueError("--guidance-scale needs --label (the class to guide towards)")
    from ..torch.checkpoint import COND_CHECKPOINT

    default = COND_CHECKPOINT if args.label is not None else None  # --label asks for the class-conditional model
    ddim = DDIM.from_checkpoint(args.checkpoint or default)
    if args.steps > ddim.T:
        raise ValueError(f"--steps must be in [1, {ddim.T}] for this checkpoint (T = {ddim.T}), got {args.steps}")
    ddim.to(args.device)
    ddim.guided_model(args.label, args.guidance_scale)  # checks the label before any sampling

    def run(x_T, generator):
        return ddim.sample(x_T, args.sampler, args.steps, args.spacing, generator, label=args.label,
                           guidance_scale=args.guidance_scale, clip=args.clip, **own)

    return ddim.sample_shape, run


def _diffusers_sampler(args, own):
    """(x_T shape, run(x_T, generator)) for a diffusers-format folder: its network, its scheduler's settings."""
    from ..schedules import timesteps
    from ..torch.pretrained import load_diffusers, sample_shape

    if args.checkpoint is not None or args.label is not None:
        raise ValueError("--diffusers samples a published model: --checkpoint and --label do not apply")
    model, config = load_diffusers(args.diffusers)
    model.network.to(args.device)
    if args.steps > config.num_train_steps:
        raise ValueError(f"--steps must be in [1, {config.num_train_steps}] for this model, got {args.steps}")
    kwargs = {**config.common_kwargs, **({"clip": args.clip} if args.clip is not None else {}), **own}
    tau = timesteps(config.num_train_steps, args.steps, args.spacing, config.steps_offset)

    def run(x_T, generator):
        return SAMPLERS[args.sampler](model, x_T, config.alpha_bars, tau, rng=generator, **kwargs)

    return sample_shape(model), run


def main(args) -> int:
    import torch

    from ..metrics import to_images

    own = sampler_options(args.sampler, args.eta)
    if args.device == "cuda" and not torch.cuda.is_available():
        raise ValueError("--device cuda: no CUDA device is available here (torch.cuda.is_available() is False)")
    shape, run = (_diffusers_sampler if args.diffusers is not None else _checkpoint_sampler)(args, own)
    torch.set_num_threads(args.threads)
    generator = torch.Generator().manual_seed(args.seed)  # a CPU generator: the same x_T and noise on any device
    x_T = torch.randn((args.num, *shape), generator=generator).to(args.device)
    start = time.perf_counter()
    with torch.no_grad():
        x_0 = run(x_T, generator)
    seconds = time.perf_counter() - start
    x_0 = x_0.double().cpu().numpy()
    args.out.parent.mkdir(parents=True, exist_ok=True)
    if args.out.suffix.lower() == ".npy":
        np.save(args.out, to_images(x_0).astype(np.float32))
        save_grid(x_0, args.out.with_suffix(".png"))
    else:
        save_grid(x_0, args.out)
    if args.label is not None:
        own = {"label": args.label, "guidance_scale": args.guidance_scale, **own}
    settings = ", ".join(f"{k}={v}" for k, v in own.items())
    print(f"{args.num} samples, {args.sampler} S={args.steps} {args.spacing}{', ' + settings if settings else ''}, "
          f"{seconds:.1f} s -> {args.out}")
    return 0
