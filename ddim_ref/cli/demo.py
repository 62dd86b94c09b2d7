"""``python -m ddim_ref demo``: the main job on the embedded defaults, figures and a time/quality table.

Two models, no training:

* digits: the shipped U-Net (``data/digits16_unet.pt``) samples ``--num`` images per setting and
  seed, with DDIM η = 0 (Song et al. 2021, Eq. 12) at S = 10 and 50 and with η = 1 (DDPM's
  ancestral step with variance β̃ on the same τ) at S = 10, trailing τ by default. Quality is the
  Fréchet distance of the digits classifier's features to the test split (``ddim_ref.torch.metrics``)
  as mean ± sd over ``--seeds``, next to its floor at the same n (mean ± the sd of one draw),
  with the share of visibly noisy samples (total variation above every real digit's).
* 2-D: ``analytic.toy_mixture("ring")`` with its exact ε̂, so every error is the sampler's. DDIM
  η = 0 follows the probability-flow ODE (smooth paths); DDPM (all T steps) wanders. Quality is the
  sliced Wasserstein-2 distance to exact samples, next to its floor (``ddim_ref.metrics``).

Writes to ``--out`` (default ``demo_out/``): one PNG grid per digits setting (the first seed),
``toy2d_trajectories.png``, and ``table.md`` / ``table.csv`` with one row per setting (the table
is also printed). ``wall_s`` is the sampling time of all seeds (not the metric). ``--bf16`` runs the
U-Net under bfloat16 autocast (the sampler's arithmetic stays float32; the classifier is not
affected): faster on CPUs with native bf16 arithmetic, but not the reference's float32, so its rows
say ``precision = bfloat16``.
"""
from __future__ import annotations

import time

import numpy as np

from .. import analytic
from ..metrics import noise_floor, sliced_wasserstein, to_images
from ..samplers import SAMPLERS
from ..schedules import DEFAULT_SPACING, SPACINGS, beta_schedule, timesteps
from ..schedules import alpha_bars as _alpha_bars
from . import options, tables

# (label, registered sampler, its options, S): the digits settings; "DDPM" is DDIM η = 1 on the same τ
DIGITS_SETTINGS = [("DDIM", "ddim", {"eta": 0.0}, 10), ("DDPM", "ddim", {"eta": 1.0}, 10),
                   ("DDIM", "ddim", {"eta": 0.0}, 50)]
DIGITS_QUICK = DIGITS_SETTINGS[:2]
TOY_T, TOY_STEPS, TOY_NUM = 1000, (10, 50), 2000  # DDPM runs all T steps (100 with --quick)
COLUMNS = ["data", "sampler", "eta", "steps", "n", "seeds", "wall_s", "metric", "value", "sd", "floor", "floor_sd",
           "ratio", "confidence", "noisy", "precision"]


def add_arguments(parser) -> None:
    add = options.add
    add(parser, "--out", options.output_dir(), "demo_out", "where the grids, the trajectory figure and table.md go")
    add(parser, "--seeds", options.listing(options.integer(0, 2**31 - 2)), [0, 1, 2],
        "seeds: each draws its own x_T and noise (FD is reported as mean ± sd over them)")
    add(parser, "--num", options.integer(2, 1497), 512, "digit samples per setting and seed, also the n of FD")
    add(parser, "--checkpoint", options.existing_path("checkpoint file"), None,
        "checkpoint file (none: the shipped data/digits16_unet.pt)")
    add(parser, "--threads", options.integer(1, 256), 2, "torch CPU threads (use 1 on a machine busy with other jobs)")
    add(parser, "--spacing", options.choice(SPACINGS), DEFAULT_SPACING, "timestep spacing of every setting")
    options.flag(parser, "--quick", "only DDIM and DDPM at S=10; 200 2-D points, DDPM S=100")
    options.flag(parser, "--bf16", "the U-Net under bfloat16 autocast: faster on CPUs with native bf16, not float32")


def run_digits(ddim, settings, num, seeds, out_dir, spacing=DEFAULT_SPACING, bf16=False):
    """Sample each setting from each seed's x_T, save its grid (first seed), and return one row per setting.

    ``bf16`` runs the network under CPU bfloat16 autocast; the loop's arithmetic stays float32.
    """
    import torch

    from ..plot import image_grid, subplots
    from ..torch.metrics import evaluate, load_classifier

    classifier = load_classifier()
    x_T = {seed: torch.randn((num, *ddim.sample_shape), generator=torch.Generator().manual_seed(seed))
           for seed in seeds}
    rows = []
    for label, sampler, opts, steps in settings:
        start, images = time.perf_counter(), []
        for seed in seeds:
            noise = torch.Generator().manual_seed(seed + 1)  # the η > 0 settings' fresh noise z
            with torch.autocast("cpu", dtype=torch.bfloat16, enabled=bf16):
                x_0 = ddim.sample(x_T[seed], sampler, steps, spacing, noise, **opts)
            images.append(to_images(x_0).numpy())
        wall = time.perf_counter() - start
        q = evaluate(images, seed=seeds[0], classifier=classifier)
        rows.append({"data": "digits", "sampler": label, "eta": opts.get("eta", float("nan")), "steps": steps,
                     "n": num, "seeds": len(seeds), "wall_s": wall, "metric": "FD", "value": q["fd"], "sd": q["fd_sd"],
                     "floor": q["fd_floor"], "floor_sd": q["fd_floor_sd"], "ratio": q["fd_ratio"],
                     "confidence": q["confidence"], "noisy": q["noisy"],
                     "precision": "bfloat16" if bf16 else "float32"})
        fig, (ax,) = subplots(panel=(4, 4))
        eta = f" η={opts['eta']:g}" if "eta" in opts else ""
        title = f"{label}{eta}, S={steps}: FD {tables.pm(q['fd'], q['fd_sd'])}"
        image_grid(images[0][:64], ax=ax, ncols=8, title=title)
        _save(fig, out_dir / f"digits_{label.lower()}{eta.replace(' η=', '_eta')}_S{steps}.png")
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
    settings = [("DDIM", "ddim", S) for S in steps_list] + [("DDPM", "ddpm", ddpm_steps)]
    for label, sampler, steps in settings:
        tau = timesteps(TOY_T, steps, spacing)
        start = time.perf_counter()
        traj = SAMPLERS[sampler](model, x_T, alpha_bars, tau, rng=np.random.default_rng(seed + 1),
                                 return_trajectory=True)
        wall = time.perf_counter() - start
        value = sliced_wasserstein(traj.x[-1], reference)
        runs.append((label, steps, traj))
        rows.append({"data": "ring 2-D", "sampler": label, "eta": 0.0 if sampler == "ddim" else 1.0, "steps": steps,
                     "n": num, "seeds": 1, "wall_s": wall, "metric": "SW2", "value": value, "floor": floor,
                     "ratio": value / floor, "precision": "float64"})
    shown = [runs[-2], runs[-1]]  # DDIM at the largest S vs DDPM
    fig, axes = subplots(len(shown), panel=(4, 4))
    for ax, (label, steps, traj), color, paths in zip(axes, shown, ("C0", "C3"), (48, 12), strict=True):
        plot_density(data, ax=ax)
        plot_trajectories(traj, ax=ax, num_paths=paths, color=color, title=f"{label} S={steps}: x_T → x_0")
    _save(fig, out_dir / "toy2d_trajectories.png")
    return rows


def _save(fig, path):
    import matplotlib.pyplot as plt

    fig.savefig(path, bbox_inches="tight", dpi=110)
    plt.close(fig)


def write_table(rows, out_dir):
    """table.csv (full precision) and table.md (3 significant digits); returns the markdown text."""
    tables.write_csv(rows, out_dir / "table.csv", COLUMNS)
    text = tables.markdown(COLUMNS, [[tables.cell(row.get(c), 3) for c in COLUMNS] for row in rows],
                           align=["---"] * len(COLUMNS))
    tables.write_text(out_dir / "table.md", text)
    return text + "\n"


def main(args) -> int:
    import matplotlib

    matplotlib.use("Agg")
    import torch

    from ..torch.ddim import DDIM

    ddim = DDIM.from_checkpoint(args.checkpoint)
    out_dir = args.out
    out_dir.mkdir(parents=True, exist_ok=True)
    torch.set_num_threads(args.threads)
    start = time.perf_counter()
    rows = run_digits(ddim, DIGITS_QUICK if args.quick else DIGITS_SETTINGS, args.num, args.seeds, out_dir,
                      args.spacing, args.bf16)
    rows += run_toy(200 if args.quick else TOY_NUM, TOY_STEPS, 100 if args.quick else TOY_T, args.seeds[0], out_dir,
                    args.spacing)
    print(write_table(rows, out_dir), end="")
    print(f"total {time.perf_counter() - start:.1f} s; figures and table.md / table.csv in {out_dir}/")
    return 0
