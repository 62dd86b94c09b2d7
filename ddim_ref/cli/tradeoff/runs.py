"""The runs of the trade-off study: the DDIM paper's Table 1 grid and its Table 2 reconstruction.

Every run goes through the sampler registry. ``SETTINGS`` names each row of Table 1 by the
registered sampler and the options that make it that row; η varies the samplers that take one.
The noise of a run depends on the run alone (data, setting, η, spacing, S, seed), not on the
rest of the grid, so a smaller grid repeats a larger one's numbers.
"""
from __future__ import annotations

import inspect
import math
import time
import zlib

import numpy as np

from ..._backend import standard_normal
from ...samplers import SAMPLERS, invert, sample
from ...schedules import DEFAULT_SPACING
from ...schedules import timesteps as _timesteps
from .problems import Problem, exact_data

PAPER_SPACING = "leading"  # the official code's skip_type="uniform": range(0, T, T // S), as in the paper's Table 2

# Table 1 row → (registered sampler, its fixed options)
SETTINGS = {
    "ddim": ("ddim", {}),                              # DDIM with η (Eqs. 12, 16); η = 1 is DDPM's β̃
    "ddpm_large": ("ddpm", {"variance": "large"}),     # the paper's σ̂: DDPM with σ² = β' (Sec. 5.1)
    "dpm_solver_2m": ("dpm_solver_2m", {}),            # second order, NFE = S (beyond the paper)
    "heun": ("heun", {}),                              # second order, NFE = 2S − 1 (beyond the paper)
}


def takes_eta(setting: str) -> bool:
    """Whether the setting's sampler has an η option."""
    return "eta" in inspect.signature(SAMPLERS[SETTINGS[setting][0]]).parameters


class _Counting:
    """Wraps a model and an rng: how many model calls and noise draws a run made."""

    def __init__(self, model, rng):
        self.inner_model, self.inner_rng, self.calls, self.draws = model, rng, 0, 0

    def model(self, x, t):
        self.calls += 1
        return self.inner_model(x, t)

    def standard_normal(self, like):
        self.draws += 1
        return standard_normal(self.inner_rng, like)


def run_sampler(setting: str, model, x_T, alpha_bars, ts, eta=0.0, rng=None):
    """x_0 from one Table 1 setting; returns (x_0, model calls, whether it drew no noise)."""
    name, fixed = SETTINGS[setting]
    options = {**fixed, **({"eta": eta} if takes_eta(setting) else {})}
    counting = _Counting(model, rng)
    x0 = SAMPLERS[name](counting.model, x_T, alpha_bars, ts, rng=counting, **options)
    return x0, counting.calls, counting.draws == 0


def grid(settings, etas, spacings, steps):
    """(setting, eta, spacing, S) for every run; η only varies the settings that take it (NaN for the rest)."""
    for spacing in spacings:
        for S in steps:
            for setting in settings:
                for eta in (etas if takes_eta(setting) else [math.nan]):
                    yield setting, float(eta), spacing, int(S)


def run_table1(problem: Problem, settings, etas, spacings, steps, seed: int, progress=True):
    """Every run of the grid on one problem at one seed: a list of CSV row dicts."""
    from tqdm.auto import tqdm

    runs = list(grid(settings, etas, spacings, steps))
    rows = []
    T = len(problem.alpha_bars)
    for setting, eta, spacing, S in tqdm(runs, desc=f"tradeoff {problem.name}", disable=not progress, leave=False):
        ts = _timesteps(T, S, spacing)
        key = f"{problem.name}/{setting}/{eta if takes_eta(setting) else ''}/{spacing}/{S}"
        rng = problem.make_rng(seed * 2**32 + zlib.crc32(key.encode()))
        start = time.perf_counter()
        x0, nfe, deterministic = run_sampler(setting, problem.model, problem.x_T, problem.alpha_bars, ts, eta, rng)
        seconds = time.perf_counter() - start
        for metric, value in problem.score(x0, int(ts[0]), deterministic).items():
            rows.append(dict(data=problem.name, sampler=setting, eta=eta, spacing=spacing, steps=S, nfe=nfe,
                             seed=seed, metric=metric, value=value, floor=problem.floors[metric], seconds=seconds))
    return rows


def reconstruction(model, x_0, alpha_bars, S, spacing=DEFAULT_SPACING):
    """Table 2: DDIM-encode x_0 to x_T and decode back on the same S steps; returns (x̂_0, NFE)."""
    counting = _Counting(model, None)
    ts = _timesteps(len(alpha_bars), S, spacing)
    x_T = invert(counting.model, x_0, alpha_bars, ts)
    return sample(counting.model, x_T, alpha_bars, ts), counting.calls


def table2_data(data: str, num: int, seed: int, mixture: str = "ring"):
    """(x_0 for the model, the same in the metric's units): the digits test split, or exact mixture samples."""
    if data == "digits":
        import torch

        from ...torch.metrics import load_digits

        pixels = load_digits()["x_test"][:num].astype(np.float64)
        return torch.from_numpy(pixels * 2 - 1).float(), pixels
    x_0 = exact_data(data, mixture).sample(num, np.random.default_rng(seed))
    return x_0, x_0


def run_table2(problem: Problem, steps, num: int, seed: int, mixture="ring", progress=True, spacing=PAPER_SPACING):
    """Per-dimension reconstruction MSE for each S: digits test split (pixels in [0, 1]) or an exact mixture.

    ``spacing`` defaults to "leading", which is the official DDIM code's ``skip_type="uniform"``
    (range(0, T, T // S)) that the paper's Table 2 was measured with.
    """
    from tqdm.auto import tqdm

    x_0, pixels = table2_data(problem.name, num, seed, mixture)
    rows = []
    for S in tqdm(steps, desc=f"table2 {problem.name}", disable=not progress, leave=False):
        start = time.perf_counter()
        x_hat, nfe = reconstruction(problem.model, x_0, problem.alpha_bars, int(S), spacing)
        mse = float(np.mean((problem.to_pixels(x_hat) - pixels) ** 2))
        rows.append(dict(data=problem.name, steps=int(S), nfe=nfe, seed=seed, metric="mse_per_dim", value=mse,
                         seconds=time.perf_counter() - start))
    return rows
