"""The trade-off study's outputs: CSV, markdown tables (mean ± sd over seeds) and plots with error bands."""
from __future__ import annotations

import math
from collections import defaultdict
from pathlib import Path

from .. import tables
from .problems import HEADLINE

COLUMNS = ("data", "sampler", "eta", "spacing", "steps", "nfe", "seed", "metric", "value", "floor", "seconds")
TABLE2_COLUMNS = ("data", "steps", "nfe", "seed", "metric", "value", "seconds")
SUMMARY_COLUMNS = ("data", "sampler", "eta", "spacing", "steps", "nfe", "metric", "mean", "sd", "n_seeds",
                   "floor_mean", "floor_sd")
LABELS = {"ddim": "DDIM η={eta:g}", "ddpm_large": "DDPM σ̂", "dpm_solver_2m": "DPM-Solver++(2M)", "heun": "Heun"}
PAPER_TABLE1 = {  # CIFAR-10 FID, DDIM paper Table 1 (S = 10, 20, 50, 100, 1000)
    "steps": (10, 20, 50, 100, 1000),
    "DDIM η=0": (13.36, 6.84, 4.67, 4.16, 4.04),
    "DDIM η=1": (41.07, 18.36, 8.01, 5.78, 4.73),
    "DDPM σ̂": (367.43, 133.37, 32.72, 9.99, 3.17),
}
PAPER_TABLE2 = {10: 0.014, 20: 0.0065, 50: 0.0023, 100: 0.0009, 200: 0.0004, 500: 0.0001, 1000: 0.0001}


def write_csv(rows, path, columns=COLUMNS):
    """One line per (run, seed, metric); see COLUMNS."""
    tables.write_csv(rows, path, columns)


def read_csv(path):
    """Rows of a tradeoff CSV (runs, Table 2 or summary) with numbers parsed (eta NaN where empty)."""
    rows = tables.read_csv(path, floats=("eta", "value", "floor", "seconds", "mean", "sd", "floor_mean", "floor_sd"),
                           ints=("steps", "nfe", "seed", "n_seeds"))
    return rows


def label(row) -> str:
    """'DDIM η=0.5', 'DDPM σ̂', … : one curve of the plot, one row of the table."""
    return LABELS[row["sampler"]].format(eta=row["eta"])


def _eta_key(eta):
    return None if math.isnan(eta) else eta


def summarize(rows):
    """One row per (data, setting, η, spacing, S, metric): mean and sd over the seeds, and the floor's."""
    groups = defaultdict(list)
    for r in rows:
        groups[(r["data"], r["sampler"], _eta_key(r["eta"]), r["spacing"], r["steps"], r["metric"])].append(r)
    out = []
    for (data, sampler, eta, spacing, steps, metric), rs in groups.items():
        mean, sd = tables.mean_sd([r["value"] for r in rs])
        floor_mean, floor_sd = tables.mean_sd([r["floor"] for r in rs])
        out.append(dict(data=data, sampler=sampler, eta=math.nan if eta is None else eta, spacing=spacing,
                        steps=steps, nfe=rs[0]["nfe"], metric=metric, mean=mean, sd=sd, n_seeds=len(rs),
                        floor_mean=floor_mean, floor_sd=floor_sd))
    return out


def _summary(rows):
    """Summary rows, whether ``rows`` are per-seed runs or already a summary."""
    return rows if rows and "mean" in rows[0] else summarize(rows)


def markdown_table(rows, data, metric, spacing):
    """Rows = samplers, columns = S, cells = mean ± sd over seeds (NFE in brackets where it differs from S)."""
    sel = [r for r in _summary(rows) if r["data"] == data and r["metric"] == metric and r["spacing"] == spacing]
    if not sel:
        return ""
    steps = sorted({r["steps"] for r in sel})
    cell = {(label(r), r["steps"]): r for r in sel}
    body = []
    for name in dict.fromkeys(label(r) for r in sel):
        cells = []
        for s in steps:
            r = cell.get((name, s))
            nfe = f" ({r['nfe']})" if r is not None and r["nfe"] != s else ""
            cells.append("" if r is None else tables.pm(r["mean"], r["sd"]) + nfe)
        body.append([name, *cells])
    body.append(["*noise floor*", *[tables.pm(sel[0]["floor_mean"], sel[0]["floor_sd"]) for _ in steps]])
    seeds = max(r["n_seeds"] for r in sel)
    return tables.markdown([f"{data} · {metric} · {spacing} (n_seeds = {seeds})", *[f"S={s}" for s in steps]], body)


def compare(rows, data, metric, spacing, steps, first, second) -> str:
    """Rank two settings (labels as in the tables, e.g. 'DDIM η=0') only beyond their scatter, else call it a tie.

    Lower is better. The difference of the means must exceed the sum of the two sds over seeds: the ±sd
    intervals do not overlap. With one seed there is no measured scatter and the answer is a tie. One line,
    numbers included, for a reader to check.
    """
    pick = {}
    for r in _summary(rows):
        if (r["data"], r["metric"], r["spacing"], r["steps"]) == (data, metric, spacing, steps):
            pick[label(r)] = r
    missing = [name for name in (first, second) if name not in pick]
    if missing:
        raise ValueError(f"no {data} · {metric} · {spacing} · S={steps} row for {', '.join(missing)}; "
                         f"have: {', '.join(pick) or 'none'}")
    a, b = pick[first], pick[second]
    head = (f"S={steps}: {first} {tables.pm(a['mean'], a['sd'])} vs {second} {tables.pm(b['mean'], b['sd'])} "
            f"({min(a['n_seeds'], b['n_seeds'])} seeds)")
    return f"{head} → {verdict(a['mean'] - b['mean'], a['sd'] + b['sd'], first, second)}"


def verdict(gap, bar, first, second) -> str:
    """compare()'s rule on a difference of means ``gap`` (first − second) and its summed sd ``bar``."""
    if math.isnan(bar):
        return "tie (one seed: no measured scatter)"
    if abs(gap) <= bar:
        return f"tie (|Δ| {abs(gap):.3g} ≤ {bar:.3g}, the summed sd)"
    return f"{first if gap < 0 else second} lower (|Δ| {abs(gap):.3g} > {bar:.3g}, the summed sd)"


def table2_markdown(rows):
    """Table 2: per-dim MSE per data set and S (mean over seeds), with the paper's row."""
    groups = defaultdict(list)
    for r in rows:
        groups[(r["data"], r["steps"])].append(r["value"])
    datas = list(dict.fromkeys(r["data"] for r in rows))
    steps = sorted({r["steps"] for r in rows})
    body = [[d, *[f"{tables.mean_sd(groups[(d, s)])[0]:.2g}" if (d, s) in groups else "" for s in steps]]
            for d in datas]
    body.append(["paper (CIFAR-10)", *[f"{PAPER_TABLE2[s]:g}" if s in PAPER_TABLE2 else "" for s in steps]])
    return tables.markdown(["Table 2: per-dim MSE", *[f"S={s}" for s in steps]], body)


def write_markdown(rows, path, table2_rows=(), command=""):
    """tradeoff.md: one table per data set, metric and spacing, then Table 2."""
    parts = ["# Step-count trade-offs",
             f"Generated by `{command or 'python -m ddim_ref tradeoff'}`; one table per data set, metric and "
             "spacing. Cells are mean ± sd over seeds (lower is better); NFE in brackets where it differs from S."]
    summary = _summary(rows)
    for data in dict.fromkeys(r["data"] for r in summary):
        for metric in dict.fromkeys(r["metric"] for r in summary if r["data"] == data):
            for spacing in dict.fromkeys(r["spacing"] for r in summary):
                table = markdown_table(summary, data, metric, spacing)
                if table:
                    parts.append(table)
    if table2_rows:
        parts.append(table2_markdown(table2_rows))
    tables.write_text(path, "\n\n".join(parts))


def plot(rows, data, metric=None, path=None):
    """Quality vs NFE, log-log, one panel per spacing, one curve per sampler (± sd band), the noise floor dotted."""
    import matplotlib.pyplot as plt

    metric = metric or HEADLINE[data]
    sel = [r for r in _summary(rows) if r["data"] == data and r["metric"] == metric]
    spacings = list(dict.fromkeys(r["spacing"] for r in sel))
    fig, axes = plt.subplots(1, len(spacings), figsize=(4.4 * len(spacings), 3.8), sharey=True, squeeze=False)
    for ax, spacing in zip(axes[0], spacings, strict=True):
        curves = defaultdict(list)
        for r in sel:
            if r["spacing"] == spacing:
                curves[label(r)].append((r["nfe"], r["mean"], 0.0 if math.isnan(r["sd"]) else r["sd"]))
        for name, pts in curves.items():
            nfe, mean, sd = zip(*sorted(pts), strict=True)
            line, = ax.loglog(nfe, mean, "o-" if "DDIM" in name or "σ̂" in name else "s--", ms=3, label=name)
            lower = [max(m - s, m * 1e-3) for m, s in zip(mean, sd, strict=True)]
            ax.fill_between(nfe, lower, [m + s for m, s in zip(mean, sd, strict=True)], color=line.get_color(),
                            alpha=0.15, lw=0)
        floor = sel[0]["floor_mean"]
        if floor > 0:
            ax.axhline(floor, color="k", ls=":", lw=1, label="noise floor")
        ax.set_title(f"{data}, {spacing} spacing")
        ax.set_xlabel("NFE (model calls)")
    axes[0][0].set_ylabel(metric)
    axes[0][-1].legend(fontsize=8)
    fig.tight_layout()
    if path is not None:
        fig.savefig(Path(path), dpi=120)
        plt.close(fig)
    return fig
