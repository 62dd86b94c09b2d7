"""``python -m ddim_ref tradeoff``: sample quality vs number of steps (DDIM paper, Tables 1 and 2).

Table 1 protocol: the same x_T and model, S ∈ ``--steps`` on each timestep ``--spacing``, with
the settings of :data:`runs.SETTINGS`:

    ddim           DDIM with η ∈ ``--eta`` (η = 0 deterministic, η = 1 DDPM's β̃)       (Eqs. 12, 16)
    ddpm_large     DDPM with σ̂² = 1 − ᾱ_t/ᾱ_prev, the paper's σ̂ ("large" variance)      (Sec. 5.1)
    dpm_solver_2m  DPM-Solver++(2M), second order on the DDIM ODE, NFE = S               (beyond the paper)
    heun           Heun in σ, second order, NFE = 2S − 1                                 (beyond the paper)

Data (``--data``, :mod:`.problems`): ``gmm`` a 2-D toy mixture with its exact denoiser,
``gaussian`` a 2-D Gaussian with its closed-form flow map, ``digits`` the shipped U-Net. Each
row of ``tradeoff.csv`` is one (run, seed, metric) with the metric's noise floor measured the
same way; ``summary.csv`` has the mean and sd over ``--seeds``. Table 2 protocol
(``--table2``): encode x_0 with DDIM inversion and decode with DDIM (η = 0) on the same S steps;
per-dimension MSE, pixels in [0, 1] for digits (the exact-mixture rows in the mixture's own units),
on the paper's spacing (``--table2-spacing leading``, the official code's ``skip_type="uniform"``).

The package is in three parts: :mod:`.problems` (data and scores), :mod:`.runs` (the grids),
:mod:`.report` (CSV, markdown, plots).
"""
from __future__ import annotations

import shlex
import time

from ...analytic import TOY_MIXTURES
from ...schedules import SPACINGS
from .. import options
from .problems import DATASETS, HEADLINE, Problem, analytic_problem, digits_problem, gaussian_data, make_problem
from .report import (
    COLUMNS,
    LABELS,
    PAPER_TABLE1,
    PAPER_TABLE2,
    SUMMARY_COLUMNS,
    TABLE2_COLUMNS,
    compare,
    label,
    markdown_table,
    plot,
    read_csv,
    summarize,
    table2_markdown,
    verdict,
    write_csv,
    write_markdown,
)
from .runs import PAPER_SPACING, SETTINGS, grid, reconstruction, run_sampler, run_table1, run_table2

__all__ = ["COLUMNS", "DATASETS", "HEADLINE", "LABELS", "PAPER_TABLE1", "PAPER_TABLE2", "Problem", "SETTINGS",
           "SUMMARY_COLUMNS", "TABLE2_COLUMNS", "analytic_problem", "compare", "digits_problem", "gaussian_data",
           "grid", "label", "make_problem", "markdown_table", "plot", "read_csv", "reconstruction", "run_sampler",
           "run_table1", "run_table2", "summarize", "table2_markdown", "verdict", "write_csv", "write_markdown"]


def add_arguments(p):
    add, listing = options.add, options.listing
    add(p, "--data", listing(options.choice(DATASETS)), ["gmm", "gaussian"], "data sets")
    add(p, "--steps", listing(options.integer(1, 1000)), [5, 10, 20, 50, 100, 1000], "numbers of steps S")
    add(p, "--eta", listing(options.number(0, 1)), [0.0, 0.2, 0.5, 1.0], "DDIM's eta values")
    add(p, "--samplers", listing(options.choice(SETTINGS)), list(SETTINGS), "Table 1 settings")
    add(p, "--spacing", listing(options.choice(SPACINGS)), ["trailing", "leading", "quadratic"], "timestep spacings")
    add(p, "--num", options.integer(2, 100_000), 1000, "samples per run (and per exact reference set)")
    add(p, ("--seeds", "--seed"), listing(options.integer(0, 2**31 - 1)), [0],
        "seeds: each gives its own x_T, noise and reference sets")
    add(p, "--mixture", options.choice(TOY_MIXTURES), "ring", "the 2-D toy mixture for --data gmm")
    add(p, "--checkpoint", options.existing_path("checkpoint file"), None, "digits checkpoint (none: the shipped one)")
    add(p, "--threads", options.integer(1, 256), 1, "torch CPU threads for the digits U-Net")
    options.flag(p, "--table2", "also the Table 2 protocol: encode/decode reconstruction")
    add(p, "--table2-steps", listing(options.integer(1, 1000)), [10, 20, 50, 100, 200, 500, 1000], "Table 2's S")
    add(p, "--table2-num", options.integer(1, 100_000), None, "samples for Table 2 (none: --num)")
    add(p, "--table2-spacing", options.choice(SPACINGS), PAPER_SPACING,
        "Table 2's spacing: leading is the official code's skip_type=uniform, as in the paper")
    options.flag(p, "--no-table1", "skip the Table 1 grid (with --table2)")
    options.flag(p, "--no-plots", "write no PNG")
    options.flag(p, "--quiet", "no progress bar")
    add(p, "--out", options.output_dir(), "tradeoff_out", "where the CSVs, tradeoff.md and the plots go")


def main(args) -> int:
    args.out.mkdir(parents=True, exist_ok=True)
    command = "python -m ddim_ref " + shlex.join(args.argv)
    progress = not args.quiet
    start = time.perf_counter()
    rows, rows2 = [], []
    for data in args.data:
        for seed in args.seeds:
            problem = make_problem(data, args.num, seed, args.mixture, args.checkpoint, args.threads)
            if not args.no_table1:
                rows += run_table1(problem, args.samplers, args.eta, args.spacing, args.steps, seed, progress)
            if args.table2:
                rows2 += run_table2(problem, args.table2_steps, args.table2_num or args.num, seed, args.mixture,
                                    progress, args.table2_spacing)
    if rows:
        write_csv(rows, args.out / "tradeoff.csv")
        write_csv(summarize(rows), args.out / "summary.csv", SUMMARY_COLUMNS)
    if rows2:
        write_csv(rows2, args.out / "table2.csv", TABLE2_COLUMNS)
    write_markdown(rows, args.out / "tradeoff.md", rows2, command)
    if not args.no_plots and rows:
        for data in dict.fromkeys(r["data"] for r in rows):
            plot(rows, data, HEADLINE[data], args.out / f"tradeoff_{data}.png")
    print(f"wrote {args.out}/tradeoff.md ({len(rows)} + {len(rows2)} rows) in {time.perf_counter() - start:.1f} s")
    return 0
