"""``python -m ddim_ref guidance``: what classifier-free guidance does, measured (``ddim_ref.guidance``).

Two studies, each written as CSV and markdown into ``--out``:

* ``mixture``: a labelled 2-D Gaussian mixture whose classes overlap, with its exact unconditional
  and conditional denoisers. Guided DDIM (η = 0 and 1, ``--mixture-steps`` steps) at each
  s ∈ ``--mixture-scales`` against the *tilted* target p(x | c)^s p(x)^{1−s}, computed on a grid:
  energy distance to samples of the tilt (next to the floor between two such sample sets), class
  purity (share of samples whose exact p(c | x) is largest for the requested c), mean distance from
  the class mean, and total variance — each beside the tilt's own value. At s > 1 guidance is not
  sampling the tilt (Chidambaram et al. 2024): the table shows where the samples go instead.
* ``digits``: the class-conditional U-Net (``--checkpoint``, default ``data/digits16_cond_unet.pt``)
  with CFG at each s ∈ ``--scales``, S ∈ ``--steps``, η = 0, ``--num`` samples per seed (labels
  0 … 9 in turn): the share the digits classifier calls the requested label, and the FD to the
  test split (mean ± sd over ``--seeds``) next to its floor.
"""
from __future__ import annotations

import math
import time

import numpy as np

from .. import metrics
from ..analytic import GaussianMixture
from ..guidance import classifier_free
from ..samplers import sample
from ..schedules import alpha_bars as _alpha_bars
from ..schedules import beta_schedule, timesteps
from . import options, tables

MIXTURE_COLUMNS = ("sampler", "eta", "steps", "scale", "n", "energy", "energy_floor", "purity", "purity_tilt",
                   "dist_to_mean", "dist_to_mean_tilt", "variance", "variance_tilt")
DIGITS_COLUMNS = ("scale", "steps", "n", "seeds", "accuracy", "accuracy_sd", "fd", "fd_sd", "fd_floor", "fd_ratio",
                  "wall_s")
LIM, GRID = 4.0, 241


def study_mixture() -> tuple[GaussianMixture, int]:
    """The mixture of the study and its guided class: class 1 (one wide mode) overlaps class 0 (two modes)."""
    means = [[-1.5, 0.0], [1.5, 0.0], [0.6, 0.9]]
    covs = [[0.35, 0.35], [0.35, 0.35], [0.5, 0.5]]
    return GaussianMixture(means, covs, [0.35, 0.35, 0.3], labels=[0, 0, 1]), 1


def tilted_grid(mixture: GaussianMixture, label, scale: float, lim: float = LIM, n: int = GRID):
    """(points (n², 2), probabilities (n²,)) of p(x | c)^s p(x)^{1−s}, normalised on an n×n grid over [−lim, lim]²."""
    xs = np.linspace(-lim, lim, n)
    grid = np.stack(np.meshgrid(xs, xs), -1).reshape(-1, 2)
    log_p = scale * mixture.conditional(label).log_prob(grid) + (1 - scale) * mixture.log_prob(grid)
    p = np.exp(log_p - log_p.max())
    return grid, p / p.sum()


def sample_grid(grid, probs, n: int, rng: np.random.Generator, cell: float):
    """n draws from a grid density: a cell by its probability, then uniform within the cell."""
    idx = rng.choice(len(probs), size=n, p=probs)
    return grid[idx] + rng.uniform(-cell / 2, cell / 2, size=(n, 2))


def _stats(x, mixture, label):
    """(purity, mean distance from the class mean, total variance) of points x."""
    probs = np.stack([mixture.class_log_prob(x, 1.0, c) for c in mixture.classes], 1)
    purity = float(np.mean(mixture.classes[probs.argmax(1)] == label))
    centre = mixture.conditional(label).weights @ mixture.conditional(label).means
    return purity, float(np.mean(np.linalg.norm(x - centre, axis=1))), float(np.trace(np.cov(x.T)))


def run_mixture(scales, steps: int = 200, num: int = 2000, seed: int = 0):
    """One row per (sampler, s): guided DDIM η = 0 and η = 1 against the tilted target."""
    mixture, label = study_mixture()
    ab = _alpha_bars(beta_schedule("linear", 1000))
    tau = timesteps(1000, steps)
    x_T = np.random.default_rng(seed).standard_normal((num, 2))
    cell = 2 * LIM / (GRID - 1)
    rows = []
    for s in scales:
        grid, probs = tilted_grid(mixture, label, s)
        draw = np.random.default_rng([seed, 1])
        tilt = sample_grid(grid, probs, num, draw, cell)
        floor = metrics.energy_distance(sample_grid(grid, probs, num, draw, cell), tilt)
        tilt_stats = _stats(tilt, mixture, label)
        model = classifier_free(mixture.model(ab), mixture.conditional(label).model(ab), s)
        for eta in (0.0, 1.0):
            x0 = sample(model, x_T, ab, tau, eta=eta, rng=np.random.default_rng([seed, 2]))
            purity, dist, var = _stats(x0, mixture, label)
            rows.append(dict(sampler="DDIM", eta=eta, steps=steps, scale=float(s), n=num,
                             energy=metrics.energy_distance(x0, tilt), energy_floor=floor, purity=purity,
                             purity_tilt=tilt_stats[0], dist_to_mean=dist, dist_to_mean_tilt=tilt_stats[1],
                             variance=var, variance_tilt=tilt_stats[2]))
    return rows


def run_digits(checkpoint, scales, steps_list, num: int, seeds, threads: int = 2):
    """One row per (s, S): requested-label accuracy and FD (mean ± sd over seeds) of CFG digits."""
    import torch

    from ..torch import metrics as tmetrics
    from ..torch.checkpoint import COND_CHECKPOINT
    from ..torch.ddim import DDIM

    torch.set_num_threads(threads)
    ddim = DDIM.from_checkpoint(COND_CHECKPOINT if checkpoint is None else checkpoint)
    if not ddim.num_classes:
        raise ValueError("the guidance study needs a class-conditional checkpoint (train --class-conditional)")
    classifier = tmetrics.load_classifier()
    labels = torch.arange(num) % ddim.num_classes
    rows = []
    for S in steps_list:
        for s in scales:
            start, accuracies, images = time.perf_counter(), [], []
            for seed in seeds:
                x_T = torch.randn((num, *ddim.sample_shape), generator=torch.Generator().manual_seed(seed))
                x_0 = ddim.sample(x_T, "ddim", S, label=labels, guidance_scale=s)
                images.append(metrics.to_images(x_0.double()).numpy())
                probs = tmetrics.features_and_probs(images[-1], classifier)[1]
                accuracies.append(float(np.mean(probs.argmax(1) == labels.numpy())))
            wall = time.perf_counter() - start
            q = tmetrics.evaluate(images, seed=seeds[0], classifier=classifier)
            acc, acc_sd = tables.mean_sd(accuracies)
            rows.append(dict(scale=float(s), steps=S, n=num, seeds=len(seeds), accuracy=acc, accuracy_sd=acc_sd,
                             fd=q["fd"], fd_sd=q["fd_sd"], fd_floor=q["fd_floor"], fd_ratio=q["fd_ratio"], wall_s=wall))
    return rows


def mixture_markdown(rows) -> str:
    body = [[f"{r['sampler']} η={r['eta']:g}", f"{r['scale']:g}", f"{r['energy']:.3g} (floor {r['energy_floor']:.2g})",
             f"{r['purity']:.3f} / {r['purity_tilt']:.3f}", f"{r['dist_to_mean']:.2f} / {r['dist_to_mean_tilt']:.2f}",
             f"{r['variance']:.2f} / {r['variance_tilt']:.2f}"] for r in rows]
    return tables.markdown(["sampler", "s", "energy distance to the tilt", "purity: samples / tilt",
                            "distance from class mean: samples / tilt", "total variance: samples / tilt"], body)


def digits_markdown(rows) -> str:
    body = [[f"{r['scale']:g}", r["steps"], tables.pm(r["accuracy"], r["accuracy_sd"]), tables.pm(r["fd"], r["fd_sd"]),
             f"{r['fd_ratio']:.2f}"] for r in rows]
    n, seeds, floor = rows[0]["n"], rows[0]["seeds"], rows[0]["fd_floor"]
    return (f"n = {n} per seed, {seeds} seeds, DDIM η = 0, trailing τ; FD floor {floor:.3g}\n\n"
            + tables.markdown(["s", "S", "requested label (classifier)", "FD", "FD / floor"], body))


def plot_digits(rows, path):
    """FD / floor and accuracy against s, one line per S."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(8.4, 3.2), constrained_layout=True)
    for S in sorted({r["steps"] for r in rows}):
        sel = sorted((r for r in rows if r["steps"] == S), key=lambda r: r["scale"])
        s = [r["scale"] for r in sel]
        ax1.errorbar(s, [r["fd_ratio"] for r in sel], [r["fd_sd"] / r["fd_floor"] for r in sel], marker="o", ms=3,
                     capsize=2, label=f"S = {S}")
        ax2.errorbar(s, [r["accuracy"] for r in sel],
                     [0 if math.isnan(r["accuracy_sd"]) else r["accuracy_sd"] for r in sel], marker="o", ms=3,
                     capsize=2, label=f"S = {S}")
    ax1.axhline(1, color="k", ls=":", lw=1)
    ax1.set(xlabel="guidance scale s", ylabel="FD / floor (lower is better)", title="quality")
    ax2.set(xlabel="guidance scale s", ylabel="share classified as the requested label", title="fidelity")
    for ax in (ax1, ax2):
        ax.legend()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def add_arguments(p):
    add, listing = options.add, options.listing
    add(p, "--study", listing(options.choice(("mixture", "digits"))), ["mixture", "digits"], "studies to run")
    add(p, "--mixture-scales", listing(options.number(0, 100)), [1.0, 2.0, 4.0, 8.0], "s of the mixture study")
    add(p, "--mixture-steps", options.integer(1, 1000), 200, "DDIM steps of the mixture study")
    add(p, "--mixture-num", options.integer(2, 100_000), 2000, "samples of the mixture study")
    add(p, "--scales", listing(options.number(0, 100)), [0.0, 1.0, 1.5, 2.0, 3.0, 5.0, 8.0], "s of the digits study")
    add(p, "--steps", listing(options.integer(1, 1000)), [10, 50], "DDIM steps of the digits study")
    add(p, "--num", options.integer(10, 1497), 500, "digits per seed (labels 0 … 9 in turn)")
    add(p, "--seeds", listing(options.integer(0, 2**31 - 1)), [0, 1], "seeds of x_T")
    add(p, "--checkpoint", options.existing_path("checkpoint file"), None,
        "class-conditional checkpoint (none: the shipped data/digits16_cond_unet.pt)")
    add(p, "--threads", options.integer(1, 256), 2, "torch CPU threads")
    add(p, "--out", options.output_dir(), "guidance_out", "where the CSV and markdown tables go")


def main(args) -> int:
    args.out.mkdir(parents=True, exist_ok=True)
    start = time.perf_counter()
    if "mixture" in args.study:
        rows = run_mixture(args.mixture_scales, args.mixture_steps, args.mixture_num)
        tables.write_csv(rows, args.out / "mixture.csv", MIXTURE_COLUMNS)
        tables.write_text(args.out / "mixture.md", mixture_markdown(rows))
        print(mixture_markdown(rows), "\n")
    if "digits" in args.study:
        rows = run_digits(args.checkpoint, args.scales, args.steps, args.num, args.seeds, args.threads)
        tables.write_csv(rows, args.out / "digits.csv", DIGITS_COLUMNS)
        tables.write_text(args.out / "digits.md", digits_markdown(rows))
        plot_digits(rows, args.out / "digits_tradeoff.png")
        print(digits_markdown(rows))
    print(f"wrote {args.out}/ in {time.perf_counter() - start:.1f} s")
    return 0
