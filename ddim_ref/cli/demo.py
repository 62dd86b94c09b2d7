"""``python -m ddim_ref demo``: the main job on the embedded defaults, figures and a time/quality table.

Two models, no training:

* digits: the shipped U-Net (``data/digits16_unet.pt``) samples ``--num`` images per setting from
  one seeded x_T, with DDIM η = 0 (Song et al. 2021, Eq. 12) at several S and with η = 1, which
  is DDPM's ancestral step with variance β̃ on the same τ (``--spacing``, default trailing).
  Quality is the Fréchet distance of the digits classifier's features to the test split, next to
  its floor at the same n (``ddim_ref.torch.metrics``).
* 2-D: ``analytic.toy_mixture("ring")`` with its exact ε̂, so every error is the sampler's. DDIM
  η = 0 follows the probability-flow ODE (smooth paths); DDPM (all T steps) wanders. Quality is the
  sliced Wasserstein-2 distance to exact samples, next to its floor (``ddim_ref.metrics``).

Writes to ``--out`` (default ``demo_out/``): one PNG grid per digits setting, ``toy2d_trajectories.png``,
and ``table.md`` / ``table.csv`` with one row per setting (the table is also printed).
``wall_s`` is the sampling time alone (not the metric).
"""
from __future__ import annotations

import time

import numpy as np

from .. import analytic
from ..metrics import noise_floor, sliced_wasserstein, to_images
from ..samplers import sample, sample_ddpm
from ..schedules import DEFAULT_SPACING, SPACINGS, beta_schedule, timesteps
from ..schedules import alpha_bars as _alpha_bars
from . import options, tables

# (sampler, η, S): the digits settings; DDPM here is η = 1 on the same τ
DIGITS_SETTINGS = [("DDIM", 0.0, 10), ("DDIM", 0.0, 20), ("DDIM", 0.0, 50), ("DDPM", 1.0, 10), ("DDPM", 1.0, 50)]
DIGITS_QUICK = [("DDIM", 0.0, 10), ("DDPM", 1.0, 10)]
TOY_T, TOY_STEPS, TOY_NUM = 1000, (10, 50), 2000  # DDPM runs all T steps (100 with --quick)
COLUMNS = ["data", "sampler", "eta", "steps", "n", "wall_s", "metric", "value", "floor", "ratio", "confidence"]


def add_arguments(parser) -> None:
    add = options.add
    add(parser, "--out", options.output_dir(), "demo_out", "output folder")
    add(parser, "--seed", options.integer(0, 2**31 - 2), 0, "seed of x_T and of all noise")
    add(parser, "--num", options.integer(2, 1497), 256, "digit samples per setting, also the n of FD and of its floor")
    add(parser, "--checkpoint", options.existing_path("checkpoint file"), None,
        "checkpoint file (none: the shipped data/digits16_unet.pt)")
    add(parser, "--threads", options.integer(1, 256), 2, "torch CPU threads (use 1 on a machine busy with other jobs)")
    add(parser, "--spacing", options.choice(SPACINGS), DEFAULT_SPACING, "timestep spacing of every setting")
    options.flag(parser, "--quick", f"only {', '.join(f'{s} S={k}' for s, _, k in DIGITS_QUICK)}; "
                                    "200 2-D points, DDPM S=100")


def run_digits(ddim, settings, num, seed, out_dir, spacing=DEFAULT_SPACING):
    """Sample each setting from the same x_T, save its grid, and return one table row per setting."""
    import torch

    from ..plot import image_grid, subplots
    from ..torch.metrics import evaluate, load_classifier

    x_T = torch.randn((num, *ddim.sample_shape), generator=torch.Generator().manual_seed(seed))
    classifier = load_classifier()
    rows = []
    for sampler, eta, steps in settings:
        noise = torch.Generator().manual_seed(seed + 1)  # the η > 0 settings' fresh noise z
        start = time.perf_counter()
        x_0 = ddim(x_T, eta=eta, num_steps=steps, spacing=spacing, generator=noise)
        wall = time.perf_counter() - start
        images = to_images(x_0).numpy()
        quality = evaluate(images, n=num, seed=seed, classifier=classifier)
        rows.append({"data": "digits", "sampler": sampler, "eta": eta, "steps": steps, "n": num, "wall_s": wall,
                     "metric": "FD", "value": quality["fd"], "floor": quality["fd_floor"],
                     "ratio": quality["fd_ratio"], "confidence": quality["confidence"]})
        fig, (ax,) = subplots(panel=(4, 4))
        image_grid(images[:64], ax=ax, ncols=8, title=f"{sampler} η={eta:g}, S={steps}: FD {quality['fd']:.1f}")
        _save(fig, out_dir / f"digits_{sampler.lower()}_eta{eta:g}_S{steps}.png")
    return rows


def run_toy(num, steps_list, ddpm_steps, seed, out_dir, spacing=DEFAULT_SPACING):
    """DDIM η = 0 at each S and DDPM over ``ddpm_steps`` on the ring mixture; trajectories figure; table rows."""
    from ..plot import plot_density, plot_trajectories, subplots

    data = analytic.toy_mixture("ring")
    alpha_bars = _alpha_bars(beta_schedule("linear", TOY_T))
    model = data.model(alpha_bars)
    x_T = np.random.default_rng(seed).standard_normal((num, 2))
    reference = data.sample(num, np.random.default_rng(seed + 3))  # the floor scores fresh exact sets against it
    floor = noise_floor(sliced_wasserstein, data.sample, num, np.random.default_rng(seed + 2),
                        reference=reference, repeats=8)
    runs, rows = [], []
    settings = [("DDIM", 0.0, S) for S in steps_list] + [("DDPM", 1.0, ddpm_steps)]
    for sampler, eta, steps in settings:
        tau = timesteps(TOY_T, steps, spacing)
        start = time.perf_counter()
        if sampler == "DDIM":
            traj = sample(model, x_T, alpha_bars, tau, eta=eta, return_trajectory=True)
        else:
            traj = sample_ddpm(model, x_T, alpha_bars, tau, rng=np.random.default_rng(seed + 1), return_trajectory=True)
        wall = time.perf_counter() - start
        value = sliced_wasserstein(traj.x[-1], reference)
        runs.append((sampler, steps, traj))
        rows.append({"data": "ring 2-D", "sampler": sampler, "eta": eta, "steps": steps, "n": num, "wall_s": wall,
                     "metric": "SW2", "value": value, "floor": floor, "ratio": value / floor, "confidence": ""})
    shown = [runs[-2], runs[-1]]  # DDIM at the largest S vs DDPM
    fig, axes = subplots(len(shown), panel=(4, 4))
    for ax, (sampler, steps, traj), color, paths in zip(axes, shown, ("C0", "C3"), (48, 12), strict=True):
        plot_density(data, ax=ax)
        plot_trajectories(traj, ax=ax, num_paths=paths, color=color, title=f"{sampler} S={steps}: x_T → x_0")
    _save(fig, out_dir / "toy2d_trajectories.png")
    return rows


def _save(fig, path):
    import matplotlib.pyplot as plt

    fig.savefig(path, bbox_inches="tight")
    plt.close(fig)


def write_table(rows, out_dir):
    """table.csv (full precision) and table.md (3 significant digits); returns the markdown text."""
    tables.write_csv(rows, out_dir / "table.csv", COLUMNS)
    text = tables.markdown(COLUMNS, [[tables.cell(row[c], 3) for c in COLUMNS] for row in rows],
                           align=["---"] * len(COLUMNS))
    tables.write_text(out_dir / "table.md", text)
    return text + "\n"


def main(args) -> int:
    import matplotlib

    matplotlib.use("Agg")
    import torch

    from ..torch.ddim import DDIM

    seed, num = args.seed, args.num
    ddim = DDIM.from_checkpoint(args.checkpoint)
    out_dir = args.out
    out_dir.mkdir(parents=True, exist_ok=True)
    torch.set_num_threads(args.threads)
    start = time.perf_counter()
    rows = run_digits(ddim, DIGITS_QUICK if args.quick else DIGITS_SETTINGS, num, seed, out_dir, args.spacing)
    rows += run_toy(200 if args.quick else TOY_NUM, TOY_STEPS, 100 if args.quick else TOY_T, seed, out_dir,
                    args.spacing)
    print(write_table(rows, out_dir), end="")
    print(f"total {time.perf_counter() - start:.1f} s; figures and table.md / table.csv in {out_dir}/")
    return 0
