"""``python -m ddim_ref tradeoff``: sample quality vs number of steps (DDIM paper, Tables 1 and 2).

Table 1 protocol: the same x_T and model, S ∈ ``--steps`` on each timestep ``--spacing``, with

    ddim           DDIM with η ∈ ``--eta`` (η = 0 deterministic, η = 1 DDPM's β̃)       (Eqs. 12, 16)
    ddpm_large     DDPM with σ̂² = 1 − ᾱ_t/ᾱ_prev, the paper's σ̂ ("large" variance)      (Sec. 5.1)
    dpm_solver_2m  DPM-Solver++(2M), second order on the DDIM ODE, NFE = S               (beyond the paper)
    heun           Heun in σ, second order, NFE = 2S − 1                                 (beyond the paper)

Data (``--data``): ``gmm`` a 2-D toy mixture with its exact denoiser, ``gaussian`` a 2-D Gaussian
with its closed-form flow map, ``digits`` the shipped U-Net. Each row of ``tradeoff.csv`` is one
(run, metric) with the metric's noise floor measured the same way (:mod:`ddim_ref.metrics`,
``ddim_ref.torch.metrics`` for the digits' FD): with an exact model all error is discretisation.

Table 2 protocol (``--table2``): encode x_0 with DDIM inversion and decode with DDIM (η = 0) on
the same S steps; per-dimension MSE, pixels in [0, 1] for digits (the exact-mixture rows are in
the 2-D mixture's own units).
"""
from __future__ import annotations

import argparse
import csv
import time
import zlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from . import metrics, solvers
from .analytic import Gaussian, toy_mixture
from .samplers import invert, sample
from .schedules import SPACINGS, alpha_bars as _alpha_bars, beta_schedule, timesteps as _timesteps

DATASETS = ("gmm", "gaussian", "digits")
SAMPLERS = ("ddim", "ddpm_large", "dpm_solver_2m", "heun")
COLUMNS = ("data", "sampler", "eta", "spacing", "steps", "nfe", "metric", "value", "floor", "seconds")
TABLE2_COLUMNS = ("data", "steps", "nfe", "metric", "value", "seconds")
HEADLINE = {"gmm": "energy", "gaussian": "rms_flow", "digits": "fd"}
LABELS = {"ddim": "DDIM η={eta:g}", "ddpm_large": "DDPM σ̂", "dpm_solver_2m": "DPM-Solver++(2M)", "heun": "Heun"}
PAPER_TABLE1 = {  # CIFAR-10 FID, DDIM paper Table 1 (S = 10, 20, 50, 100, 1000)
    "steps": (10, 20, 50, 100, 1000),
    "DDIM η=0": (13.36, 6.84, 4.67, 4.16, 4.04),
    "DDIM η=1": (41.07, 18.36, 8.01, 5.78, 4.73),
    "DDPM σ̂": (367.43, 133.37, 32.72, 9.99, 3.17),
}
PAPER_TABLE2 = {10: 0.014, 20: 0.0065, 50: 0.0023, 100: 0.0009, 200: 0.0004, 500: 0.0001, 1000: 0.0001}


# ---------------------------------------------------------------- problems
@dataclass
class Problem:
    """One data set: its model, schedule, x_T, and how to score a batch of samples."""

    name: str
    model: object          # model(x_t, t) -> ε̂
    alpha_bars: np.ndarray
    x_T: np.ndarray
    score: object          # score(x_0, tau0, deterministic) -> {metric: value}
    floors: dict           # metric -> noise floor
    make_rng: object = np.random.default_rng  # make_rng(int) -> the noise source of one run


def gaussian_data() -> Gaussian:
    """A 2-D Gaussian with standard deviations 1 and 0.1 along rotated axes: the small one makes DDIM's error visible."""
    a = np.pi / 6
    u = np.array([[np.cos(a), -np.sin(a)], [np.sin(a), np.cos(a)]])
    return Gaussian([0.5, -0.5], u @ np.diag([1.0, 0.01]) @ u.T)


def _sample_metrics(truth, draw_rng, num, repeats=5):
    """Energy distance and SW₂ to one fresh exact set y; floors: ``repeats`` more exact sets scored against y."""
    y = truth.sample(num, draw_rng)
    floors = {name: metrics.noise_floor(f, truth.sample, num, draw_rng, reference=y, repeats=repeats)
              for name, f in metrics.METRICS.items()}

    def score(x0):
        return {name: f(x0, y) for name, f in metrics.METRICS.items()}

    return score, floors


def analytic_problem(data: str, num: int, seed: int, mixture: str = "ring", num_train_steps: int = 1000) -> Problem:
    """``gmm`` or ``gaussian`` with the exact denoiser, the linear β schedule and x_T ~ N(0, I) from ``seed``."""
    ab = _alpha_bars(beta_schedule("linear", num_train_steps))
    truth = toy_mixture(mixture) if data == "gmm" else gaussian_data()
    rng = np.random.default_rng(seed)
    x_T = rng.standard_normal((num, truth.dim))
    sample_score, floors = _sample_metrics(truth, np.random.default_rng([seed, 1]), num)

    def score(x0, tau0, deterministic):
        out = sample_score(x0)
        if data == "gaussian" and deterministic:  # the ODE's exact end point from the same x_T
            out["rms_flow"] = metrics.rms_error(x0, truth.flow_map(x_T, ab[tau0], 1.0))
        return out

    if data == "gaussian":
        floors["rms_flow"] = 0.0
    return Problem(data, truth.model(ab), ab, x_T, score, floors)


def _digits_model(checkpoint=None):
    """The shipped U-Net as ``model(x_t, t)`` on float32 tensors in [−1, 1], its ᾱ, and images → pixels in [0, 1]."""
    import torch

    from .torch import ddim as tddim  # torch only here
    from .torch.metrics import to_images

    torch.set_num_threads(1)  # the machine is shared; one thread is also the fastest for these small batches
    net = tddim.DDIM.from_checkpoint(checkpoint)
    if net.prediction_type != "epsilon":
        raise ValueError(f"the tradeoff study expects an epsilon-prediction checkpoint, got {net.prediction_type!r}")
    return tddim.as_model(net.network), net.alpha_bars, lambda x: to_images(x.double()).numpy()


def digits_problem(num: int, seed: int, checkpoint=None) -> Problem:
    """The shipped U-Net on x_T ~ N(0, I) from ``seed``; FD of the classifier features vs the test split."""
    import torch

    from .torch import ddim as tddim
    from .torch import metrics as tmetrics

    model, ab, to_pixels = _digits_model(checkpoint)
    x_T = torch.randn((num, 1, 16, 16), generator=torch.Generator().manual_seed(seed))
    classifier = tmetrics.load_classifier()
    floor = tmetrics.fd_floor(num, seed, classifier)

    def score(x0, tau0, deterministic):
        return {"fd": tmetrics.evaluate(to_pixels(x0), seed=seed, classifier=classifier)["fd"]}

    def make_rng(key):
        return tddim.TorchNoise(torch.Generator().manual_seed(key))

    return Problem("digits", model, ab, x_T, score, {"fd": floor}, make_rng)


# ---------------------------------------------------------------- runs
def _counting(model):
    calls = [0]

    def counted(x, t):
        calls[0] += 1
        return model(x, t)

    return counted, calls


def run_sampler(sampler: str, model, x_T, alpha_bars, ts, eta=0.0, rng=None):
    """x_0 from one sampler; returns (x_0, number of model calls)."""
    counted, calls = _counting(model)
    if sampler == "ddim":
        x0 = sample(counted, x_T, alpha_bars, ts, eta=eta, rng=rng)
    elif sampler == "ddpm_large":
        x0 = sample(counted, x_T, alpha_bars, ts, sigma_hat=True, rng=rng)
    elif sampler == "dpm_solver_2m":
        x0 = solvers.dpm_solver_2m(counted, x_T, alpha_bars, ts)
    elif sampler == "heun":
        x0 = solvers.heun(counted, x_T, alpha_bars, ts)
    else:
        raise ValueError(f"unknown sampler {sampler!r}; choose from {', '.join(SAMPLERS)}")
    return x0, calls[0]


def grid(samplers, etas, spacings, steps):
    """(sampler, eta, spacing, S) for every run; η only varies DDIM (NaN for σ̂, 0 for the ODE solvers)."""
    for spacing in spacings:
        for S in steps:
            for sampler in samplers:
                for eta in (etas if sampler == "ddim" else [float("nan") if sampler == "ddpm_large" else 0.0]):
                    yield sampler, float(eta), spacing, int(S)


def run_table1(problem: Problem, samplers, etas, spacings, steps, seed: int, progress=True):
    """Every run of the grid on one problem: a list of CSV row dicts."""
    from tqdm.auto import tqdm

    runs = list(grid(samplers, etas, spacings, steps))
    rows = []
    T = len(problem.alpha_bars)
    for sampler, eta, spacing, S in tqdm(runs, desc=f"tradeoff {problem.name}", disable=not progress, leave=False):
        ts = _timesteps(T, S, spacing)
        key = f"{problem.name}/{sampler}/{eta}/{spacing}/{S}"  # stable noise per run, whatever the grid
        rng = problem.make_rng(seed * 2**32 + zlib.crc32(key.encode()))
        start = time.perf_counter()
        x0, nfe = run_sampler(sampler, problem.model, problem.x_T, problem.alpha_bars, ts, eta, rng)
        seconds = time.perf_counter() - start
        deterministic = sampler in ("dpm_solver_2m", "heun") or (sampler == "ddim" and eta == 0)
        for metric, value in problem.score(x0, int(ts[0]), deterministic).items():
            rows.append(dict(data=problem.name, sampler=sampler, eta=eta, spacing=spacing, steps=S, nfe=nfe,
                             metric=metric, value=value, floor=problem.floors[metric], seconds=seconds))
    return rows


def reconstruction(model, x_0, alpha_bars, S, spacing="leading"):
    """Table 2: DDIM-encode x_0 to x_T and decode back on the same S steps; returns (x̂_0, NFE)."""
    counted, calls = _counting(model)
    ts = _timesteps(len(alpha_bars), S, spacing)
    x_T = invert(counted, x_0, alpha_bars, ts)
    return sample(counted, x_T, alpha_bars, ts, eta=0.0), calls[0]


def run_table2(data: str, steps, num: int, seed: int, mixture="ring", checkpoint=None, progress=True):
    """Per-dimension reconstruction MSE for each S: digits test split (pixels in [0, 1]) or an exact mixture."""
    from tqdm.auto import tqdm

    if data == "digits":
        import torch

        from .torch import metrics as tmetrics

        model, ab, to_pixels = _digits_model(checkpoint)
        pixels = tmetrics.load_digits()["x_test"][:num].astype(np.float64)
        x_0 = torch.from_numpy(pixels * 2 - 1).float()
    else:
        truth = toy_mixture(mixture) if data == "gmm" else gaussian_data()
        ab = _alpha_bars(beta_schedule("linear", 1000))
        model, x_0 = truth.model(ab), truth.sample(num, np.random.default_rng(seed))
        pixels, to_pixels = x_0, (lambda x: x)
    rows = []
    for S in tqdm(steps, desc=f"table2 {data}", disable=not progress, leave=False):
        start = time.perf_counter()
        x_hat, nfe = reconstruction(model, x_0, ab, int(S))
        mse = float(np.mean((to_pixels(x_hat) - pixels) ** 2))
        rows.append(dict(data=data, steps=int(S), nfe=nfe, metric="mse_per_dim", value=mse,
                         seconds=time.perf_counter() - start))
    return rows


# ---------------------------------------------------------------- outputs
def _cell(v):
    """CSV text of one value: floats to 6 significant digits, NaN (η of σ̂) as empty."""
    if isinstance(v, float):
        return "" if np.isnan(v) else f"{v:.6g}"
    return v


def write_csv(rows, path, columns=COLUMNS):
    """One line per (run, metric); see COLUMNS."""
    with open(path, "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=columns, extrasaction="ignore")
        w.writeheader()
        for r in rows:
            w.writerow({k: _cell(v) for k, v in r.items()})


def read_csv(path):
    """Rows of a tradeoff CSV with numbers parsed (eta NaN where empty)."""
    with open(path) as f:
        rows = list(csv.DictReader(f))
    for r in rows:
        for k in ("eta", "value", "floor", "seconds"):
            if k in r:
                r[k] = float(r[k]) if r[k] != "" else float("nan")
        for k in ("steps", "nfe"):
            r[k] = int(r[k])
    return rows


def label(row) -> str:
    """'DDIM η=0.5', 'DDPM σ̂', … : one curve of the plot, one row of the table."""
    return LABELS[row["sampler"]].format(eta=row["eta"])


def markdown_table(rows, data, metric, spacing):
    """Rows = samplers, columns = S, cells = metric value (NFE in brackets where it differs from S)."""
    sel = [r for r in rows if r["data"] == data and r["metric"] == metric and r["spacing"] == spacing]
    if not sel:
        return ""
    steps = sorted({r["steps"] for r in sel})
    order = list(dict.fromkeys(label(r) for r in sel))
    cell = {(label(r), r["steps"]): r for r in sel}
    lines = [f"| {data} · {metric} · {spacing} | " + " | ".join(f"S={s}" for s in steps) + " |",
             "|---|" + "---:|" * len(steps)]
    for name in order:
        cells = []
        for s in steps:
            r = cell.get((name, s))
            cells.append("" if r is None else f"{r['value']:.3g}" + (f" ({r['nfe']})" if r["nfe"] != s else ""))
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    lines.append(f"| *noise floor* | " + " | ".join(f"{sel[0]['floor']:.3g}" for _ in steps) + " |")
    return "\n".join(lines)


def write_markdown(rows, path, table2_rows=()):
    parts = ["# Step-count trade-offs", "",
             "Generated by `python -m ddim_ref tradeoff`; one table per data set, metric and spacing. "
             "Cells are the metric (lower is better); NFE in brackets where it differs from S.", ""]
    for data in dict.fromkeys(r["data"] for r in rows):
        for metric in dict.fromkeys(r["metric"] for r in rows if r["data"] == data):
            for spacing in dict.fromkeys(r["spacing"] for r in rows):
                table = markdown_table(rows, data, metric, spacing)
                if table:
                    parts += [table, ""]
    if table2_rows:
        parts += [table2_markdown(table2_rows), ""]
    Path(path).write_text("\n".join(parts))


def table2_markdown(rows):
    datas = list(dict.fromkeys(r["data"] for r in rows))
    steps = sorted({r["steps"] for r in rows})
    val = {(r["data"], r["steps"]): r["value"] for r in rows}
    lines = ["| Table 2: per-dim MSE | " + " | ".join(f"S={s}" for s in steps) + " |",
             "|---|" + "---:|" * len(steps)]
    for d in datas:
        lines.append(f"| {d} | " + " | ".join(f"{val[(d, s)]:.2g}" if (d, s) in val else "" for s in steps) + " |")
    lines.append("| paper (CIFAR-10) | " + " | ".join(f"{PAPER_TABLE2[s]:g}" if s in PAPER_TABLE2 else ""
                                                      for s in steps) + " |")
    return "\n".join(lines)


def plot(rows, data, metric, path=None, ax_per_spacing=None):
    """Quality vs NFE, log-log, one panel per spacing, one curve per sampler, the noise floor dashed."""
    import matplotlib.pyplot as plt

    sel = [r for r in rows if r["data"] == data and r["metric"] == metric]
    spacings = list(dict.fromkeys(r["spacing"] for r in sel))
    fig, axes = plt.subplots(1, len(spacings), figsize=(4.2 * len(spacings), 3.6), sharey=True, squeeze=False)
    for ax, spacing in zip(axes[0], spacings):
        curves = {}
        for r in sel:
            if r["spacing"] == spacing:
                curves.setdefault(label(r), []).append((r["nfe"], r["value"]))
        for name, pts in curves.items():
            pts.sort()
            ax.loglog(*zip(*pts), "o-" if "DDIM" in name or "σ̂" in name else "s--", ms=3, label=name)
        floor = sel[0]["floor"]
        if floor > 0:
            ax.axhline(floor, color="k", ls=":", lw=1, label="noise floor")
        ax.set_title(f"{data}, {spacing} spacing")
        ax.set_xlabel("NFE (model calls)")
    axes[0][0].set_ylabel(metric)
    axes[0][-1].legend(fontsize=7)
    fig.tight_layout()
    if path is not None:
        fig.savefig(path, dpi=110)
        plt.close(fig)
    return fig


# ---------------------------------------------------------------- command
def _list(cast):
    def parse(text):
        try:
            return [cast(v) for v in text.split(",") if v.strip()]
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected a comma-separated list, got {text!r}") from None

    return parse


def add_arguments(p):
    p.add_argument("--data", type=_list(str), default=["gmm", "gaussian"], help="gmm, gaussian, digits (comma list)")
    p.add_argument("--steps", type=_list(int), default=[5, 10, 20, 50, 100, 1000])
    p.add_argument("--eta", type=_list(float), default=[0.0, 0.2, 0.5, 1.0], help="DDIM's η values")
    p.add_argument("--samplers", type=_list(str), default=list(SAMPLERS))
    p.add_argument("--spacing", type=_list(str), default=["leading", "trailing", "quadratic"])
    p.add_argument("--num", type=int, default=1000, help="samples per run (and per exact reference set)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--mixture", default="ring", help="the 2-D toy mixture for --data gmm")
    p.add_argument("--checkpoint", default=None, help="digits checkpoint (default: the shipped one)")
    p.add_argument("--table2", action="store_true", help="also the Table 2 protocol: encode/decode reconstruction")
    p.add_argument("--table2-steps", type=_list(int), default=[10, 20, 50, 100, 200, 500, 1000])
    p.add_argument("--no-table1", action="store_true", help="skip the Table 1 grid (with --table2)")
    p.add_argument("--no-plots", action="store_true")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.add_argument("--out", type=Path, default=Path("tradeoff_out"))


def _validate(args):
    for name, values, allowed in (("data", args.data, DATASETS), ("samplers", args.samplers, SAMPLERS),
                                  ("spacing", args.spacing, SPACINGS)):
        bad = [v for v in values if v not in allowed]
        if bad or not values:
            raise ValueError(f"--{name}: unknown {bad or 'empty list'}; choose from {', '.join(allowed)}")
    if not args.steps or any(s < 1 or s > 1000 for s in args.steps):
        raise ValueError(f"--steps must be integers in [1, 1000], got {args.steps}")
    if any(not np.isfinite(e) or e < 0 or e > 1 for e in args.eta):
        raise ValueError(f"--eta values must lie in [0, 1], got {args.eta}")
    if args.num < 2:
        raise ValueError(f"--num must be at least 2, got {args.num}")


def main(args) -> int:
    _validate(args)
    args.out.mkdir(parents=True, exist_ok=True)
    progress = not args.quiet
    start = time.perf_counter()
    rows, rows2 = [], []
    if not args.no_table1:
        for data in args.data:
            problem = (digits_problem(args.num, args.seed, args.checkpoint) if data == "digits"
                       else analytic_problem(data, args.num, args.seed, args.mixture))
            rows += run_table1(problem, args.samplers, args.eta, args.spacing, args.steps, args.seed, progress)
        write_csv(rows, args.out / "tradeoff.csv")
    if args.table2:
        for data in args.data:
            rows2 += run_table2(data, args.table2_steps, args.num, args.seed, args.mixture, args.checkpoint, progress)
        write_csv(rows2, args.out / "table2.csv", TABLE2_COLUMNS)
    write_markdown(rows, args.out / "tradeoff.md", rows2)
    if not args.no_plots and rows:
        for data in dict.fromkeys(r["data"] for r in rows):
            plot(rows, data, HEADLINE[data], args.out / f"tradeoff_{data}.png")
    print(f"wrote {args.out}/tradeoff.md ({len(rows)} + {len(rows2)} rows) in {time.perf_counter() - start:.1f} s")
    return 0
