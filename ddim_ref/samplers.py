"""Sampling loops over a timestep sequence τ — one contract for every sampler.

Every sampler, here and in :mod:`ddim_ref.solvers`, has the same signature::

    name(model, x_T, alpha_bars, timesteps=None, *, rng=None, final_alpha_bar=1.0, prediction_type="epsilon",
         clip=None, threshold=None, sample_max_value=1.0, callback=None, return_trajectory=False, **its own options)

``model(x_t, t)`` is any callable returning the network's output at the integer timestep ``t``;
``timesteps`` is τ (``None``: all T, from T−1 down to 0). Each loop walks the noise levels

    ᾱ[τ_0] > ᾱ[τ_1] > … > ᾱ[τ_{S−1}]  →  final_alpha_bar (1 by default: clean data)

pairing each timestep with the **next element of the actual sequence**. diffusers'
``DDIMScheduler.step`` instead goes to ``t − T // S``, which is the next element only for
"leading" spacing (and "trailing" when S divides T); for "linspace" it lands on levels the
sequence never visits (see ``tests/test_conformance_diffusers.py``). ᾱ is DDPM's ᾱ; the DDIM
paper writes α.

A sampler is written once, as a generator over a :class:`Run` (τ, the S+1 levels, x0̂
post-processing, the noise source) that yields one :class:`Step` per model step::

    def ddim_steps(model, x, run, *, eta=0.0, ...):
        for i, t in enumerate(run.timesteps):
            x_prev, x0_hat = ddim_step(x, model(x, t), *run.levels_at(i), eta=eta, rng=run.rng, **run.x0_options)
            x = yield run.record(i, x_prev, x0_hat)

and registered in one line, which builds the contract function from it::

    sample = SAMPLERS.register("ddim", ddim_steps)

``SAMPLERS[name].process(...)`` (same arguments) is the bare generator of Steps: sending it a
state makes the next step start from that state instead (inpainting replaces the known
entries this way). ``callback(step)`` is called once per step.
"""
from __future__ import annotations

import inspect
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np

from ._backend import check_rng, stack
from ._checks import check_choice
from .schedules import check_timesteps
from .steps import VARIANCES, check_eta, ddim_step, ddpm_step, x0_eps_hat

EVAL_AT = ("current", "next")


class Step(NamedTuple):
    """One step of a sampling loop: the state it made and what made it."""

    i: int              # step index, 0 … S−1
    t: int              # the model timestep the step evaluated
    x: object           # the state after the step
    x0_hat: object      # the model's x0̂ at this step (after clip / threshold)
    alpha_bar: float    # noise level of ``x``


class Trajectory(NamedTuple):
    """Every state of one run. ``x[0]`` is where it started and ``x[-1]`` where it ended."""

    x: object            # (S+1, *shape) states
    x0_hat: object       # (S, *shape) the model's x0̂ at each step (x_t's own, for inversion)
    timesteps: np.ndarray  # (S,) the model timestep used by each step
    alpha_bar: np.ndarray  # (S+1,) noise level of each state


# ---------------------------------------------------------------- levels and runs
def check_alpha_bars(alpha_bars) -> np.ndarray:
    """ᾱ as float64, 1-D, within [0, 1] and non-increasing in t."""
    ab = np.asarray(alpha_bars, dtype=np.float64)
    if ab.ndim != 1 or ab.size == 0:
        raise ValueError(f"alpha_bars must be a non-empty 1-D array indexed by timestep, got shape {ab.shape}")
    if not np.all((ab >= 0) & (ab <= 1)):
        raise ValueError("alpha_bars must lie in [0, 1]")
    if np.any(np.diff(ab) > 0):
        raise ValueError("alpha_bars must be non-increasing in t (noise grows with t)")
    return ab


def noise_levels(alpha_bars, timesteps=None, final_alpha_bar=1.0):
    """(τ, levels): the validated τ (all T if None) and the S+1 levels ᾱ[τ_0], …, ᾱ[τ_{S−1}], final_alpha_bar."""
    ab = check_alpha_bars(alpha_bars)
    ts = check_timesteps(np.arange(len(ab))[::-1] if timesteps is None else timesteps, len(ab))
    final = float(final_alpha_bar)
    if not ab[ts[-1]] <= final <= 1:
        raise ValueError(f"final_alpha_bar must lie in [alpha_bar[{ts[-1]}], 1] = [{ab[ts[-1]]:.6g}, 1], got {final}")
    return ts, np.append(ab[ts], final)


@dataclass(frozen=True)
class Run:
    """What a sampler's loop needs, validated once: step i evaluates ``timesteps[i]`` and moves
    the state from ``levels[i]`` to ``levels[i+1]`` (down for sampling, up for inversion)."""

    timesteps: tuple          # (S,) model timesteps, Python ints
    levels: np.ndarray        # (S+1,) noise levels in the direction of travel
    rng: object = None        # np.random.Generator, torch.Generator, or an adapter with standard_normal(like)
    prediction_type: str = "epsilon"
    clip: object = None       # c or (lo, hi): clip x0̂, diffusers' clip_sample
    threshold: float | None = None   # dynamic-thresholding quantile, diffusers' thresholding
    sample_max_value: float = 1.0

    @property
    def x0_options(self) -> dict:
        """The x0̂ options every step function takes."""
        return dict(prediction_type=self.prediction_type, clip=self.clip, threshold=self.threshold,
                    sample_max_value=self.sample_max_value)

    def levels_at(self, i: int):
        """(ᾱ_t, ᾱ_prev) of step i as floats."""
        return float(self.levels[i]), float(self.levels[i + 1])

    def predict(self, x, model_output, i: int):
        """(x0̂, ε̂) at step i, x0̂ post-processed and ε̂ consistent with it (x_t = √ᾱ x0̂ + √(1−ᾱ) ε̂)."""
        return x0_eps_hat(x, model_output, float(self.levels[i]), **self.x0_options, use_clipped_model_output=True)

    def record(self, i: int, x, x0_hat) -> Step:
        """The Step that step i yields: its new state at ``levels[i+1]``."""
        return Step(i, self.timesteps[i], x, x0_hat, float(self.levels[i + 1]))


class _NoRng:
    """Stands in for ``rng=None``: fine until a step needs noise, then says what to pass."""

    def standard_normal(self, like):
        raise ValueError("this sampler adds noise here: pass rng=np.random.default_rng(seed) "
                         "(a torch.Generator for tensors)")


def _run(ts, levels, rng, prediction_type, clip, threshold, sample_max_value) -> Run:
    check_rng(rng)
    return Run(tuple(int(t) for t in ts), levels, _NoRng() if rng is None else rng, prediction_type, clip, threshold,
               sample_max_value)


def sampling_run(alpha_bars, timesteps=None, *, rng=None, final_alpha_bar=1.0, prediction_type="epsilon", clip=None,
                 threshold=None, sample_max_value=1.0) -> Run:
    """The Run of a sampler: down τ, then onto ``final_alpha_bar``."""
    ts, levels = noise_levels(alpha_bars, timesteps, final_alpha_bar)
    return _run(ts, levels, rng, prediction_type, clip, threshold, sample_max_value)


def inversion_run(alpha_bars, timesteps=None, *, eval_at="current", rng=None, final_alpha_bar=1.0,
                  prediction_type="epsilon", clip=None, threshold=None, sample_max_value=1.0) -> Run:
    """The Run of DDIM inversion: from x_0's level ``final_alpha_bar`` up the levels of τ to ᾱ[τ_0].

    ``eval_at="current"`` evaluates ε̂ at the state being moved, labelled with its own timestep
    (x_0 borrows τ's smallest): explicit Euler on the ODE (Eq. 14) run forward in time.
    ``"next"`` labels it with the target's timestep instead, as diffusers' ``DDIMInverseScheduler`` does.
    """
    check_choice("eval_at", eval_at, EVAL_AT, what="eval_at")
    ts, levels = noise_levels(alpha_bars, timesteps, final_alpha_bar)
    ts_up = ts[::-1]
    used = ts_up if eval_at == "next" else np.concatenate([ts_up[:1], ts_up[:-1]])
    return _run(used, levels[::-1], rng, prediction_type, clip, threshold, sample_max_value)


# ---------------------------------------------------------------- driving a loop
def drive(steps, model, x, run: Run, options=None):
    """Run a sampler's loop, yielding its Steps; a state sent in is where the next step starts."""
    loop = steps(model, x, run, **(options or {}))
    try:
        record = next(loop)
        while True:
            sent = yield record
            record = loop.send(record.x if sent is None else sent)
    except StopIteration:
        return


def collect(records, x_start, run: Run, callback=None, return_trajectory=False):
    """Drain a generator of Steps: the last state, or the whole :class:`Trajectory`."""
    x, xs, x0s = x_start, [x_start], []
    for record in records:
        if callback is not None:
            callback(record)
        x = record.x
        if return_trajectory:
            xs.append(record.x)
            x0s.append(record.x0_hat)
    if not return_trajectory:
        return x
    return Trajectory(stack(xs), stack(x0s), np.asarray(run.timesteps), np.asarray(run.levels))


# ---------------------------------------------------------------- the registry
def _contract(model, x_T, alpha_bars, timesteps=None, *, rng=None, final_alpha_bar=1.0, prediction_type="epsilon",
              clip=None, threshold=None, sample_max_value=1.0, callback=None, return_trajectory=False):
    """The parameters every sampler shares (its own options follow them)."""


CONTRACT = inspect.signature(_contract)
RUN_KEYWORDS = ("rng", "final_alpha_bar", "prediction_type", "clip", "threshold", "sample_max_value")
CONTRACT_DOC = """
    The sampler contract (:mod:`ddim_ref.samplers`): ``model(x_t, t)``; ``timesteps`` τ (None: all T);
    ``rng`` a NumPy or torch Generator (needed where noise is drawn); ``final_alpha_bar`` the level of
    the last step's target (1: data; ``alpha_bars[0]`` for diffusers' ``set_alpha_to_one=False``);
    ``clip`` / ``threshold`` post-process x0̂ as diffusers' ``clip_sample`` / ``thresholding`` do;
    ``callback(step)`` once per :class:`Step`. Returns x_0, or a :class:`Trajectory` with ``return_trajectory``.
"""


class Registry(dict):
    """Sampler name → its contract function (with ``.nfe(S)``, ``.process(...)``, ``.steps``, ``.multistep``)."""

    def register(self, name: str, steps, *, nfe=None, multistep: bool = False, public_name: str | None = None):
        """Add ``steps`` (a generator over a Run) under ``name``; returns the contract function made from it.

        ``nfe(S)`` is its number of model calls for S steps (default S); ``multistep`` marks a loop
        that keeps a history, so a step cannot be redone on its own (RePaint's resampling).
        """
        own = [p for p in inspect.signature(steps).parameters.values() if p.kind is p.KEYWORD_ONLY]
        signature = CONTRACT.replace(parameters=[*CONTRACT.parameters.values(), *own])
        own_names = {p.name for p in own}

        def check_options(options):
            unknown = sorted(set(options) - own_names)
            if unknown:
                choices = ", ".join(sorted(own_names)) or "none"
                raise TypeError(f"{function.__name__}() got unexpected keyword argument(s) {', '.join(unknown)}; "
                                f"its own options are: {choices}")

        def process(model, x_T, alpha_bars, timesteps=None, **kwargs):
            run_kwargs = {k: kwargs.pop(k) for k in RUN_KEYWORDS if k in kwargs}
            check_options(kwargs)
            return drive(steps, model, x_T, sampling_run(alpha_bars, timesteps, **run_kwargs), kwargs)

        def function(model, x_T, alpha_bars, timesteps=None, *, callback=None, return_trajectory=False, **kwargs):
            run_kwargs = {k: kwargs.pop(k) for k in RUN_KEYWORDS if k in kwargs}
            check_options(kwargs)
            run = sampling_run(alpha_bars, timesteps, **run_kwargs)
            return collect(drive(steps, model, x_T, run, kwargs), x_T, run, callback, return_trajectory)

        function.__name__ = function.__qualname__ = public_name or name
        function.__module__ = steps.__module__
        function.__doc__ = (steps.__doc__ or "") + "\n" + CONTRACT_DOC
        function.__signature__ = signature
        function.name, function.steps, function.process, function.multistep = name, steps, process, multistep
        function.nfe = nfe or (lambda num_steps: num_steps)
        self[name] = function
        return function

    def __missing__(self, name):
        raise ValueError(f"unknown sampler {name!r}; choose one of {', '.join(self)}")


SAMPLERS = Registry()


# ---------------------------------------------------------------- DDIM and DDPM
def ddim_steps(model, x, run, *, eta=0.0, sigma_hat=False, use_clipped_model_output=False):
    """DDIM (Song et al. 2021, Eq. 12, σ from Eq. 16): η = 0 is deterministic, η = 1 is DDPM's posterior step.

    ``sigma_hat=True`` is the paper's σ̂ (Sec. 5.1, ``eta`` unused): noise std √(1−ᾱ_t/ᾱ_prev) with
    the η = 1 coefficient on ε̂, i.e. DDPM with the "large" variance β'.
    """
    check_eta(eta)
    for i, t in enumerate(run.timesteps):
        x_prev, x0_hat = ddim_step(x, model(x, t), *run.levels_at(i), eta=eta, sigma_hat=sigma_hat, rng=run.rng,
                                   use_clipped_model_output=use_clipped_model_output, **run.x0_options)
        x = yield run.record(i, x_prev, x0_hat)


def ddpm_steps(model, x, run, *, variance="small"):
    """Ancestral sampling (DDPM Algorithm 2) over τ: x_prev ~ N(μ̃(x_t, x0̂), σ²), σ² = β̃ ("small") or β' ("large")."""
    check_choice("variance", variance, VARIANCES)
    for i, t in enumerate(run.timesteps):
        x_prev, x0_hat = ddpm_step(x, model(x, t), *run.levels_at(i), variance=variance, rng=run.rng,
                                   **run.x0_options)
        x = yield run.record(i, x_prev, x0_hat)


sample = SAMPLERS.register("ddim", ddim_steps, public_name="sample")
sample_ddpm = SAMPLERS.register("ddpm", ddpm_steps, public_name="sample_ddpm")


def reverse_process(model, x_T, alpha_bars, timesteps=None, *, sampler="ddim", **kwargs):
    """The generator of :class:`Step` records of any registered sampler (``sampler`` by name)."""
    return SAMPLERS[sampler].process(model, x_T, alpha_bars, timesteps, **kwargs)


# ---------------------------------------------------------------- inversion
def inversion_process(model, x_0, alpha_bars, timesteps=None, *, final_alpha_bar=1.0, eval_at="current",
                      initial_alpha_bar=None, **kwargs):
    """The generator of :class:`Step` records of DDIM inversion: the η = 0 loop run up the levels of τ."""
    final = final_alpha_bar if initial_alpha_bar is None else initial_alpha_bar  # its old name
    return drive(ddim_steps, model, x_0, inversion_run(alpha_bars, timesteps, eval_at=eval_at, final_alpha_bar=final,
                                                      **kwargs))


def invert(model, x_0, alpha_bars, timesteps=None, *, rng=None, final_alpha_bar=1.0, prediction_type="epsilon",
           clip=None, threshold=None, sample_max_value=1.0, callback=None, return_trajectory=False,
           eval_at="current", initial_alpha_bar=None):
    """DDIM inversion (Song et al. 2021, Sec. 4.3; Eq. 14 forward in time): x_0 → x_T.

    The inverse of ``sample(..., eta=0)`` on the same τ up to discretisation error. ``final_alpha_bar``
    is x_0's level, the one ``sample`` ends on (``initial_alpha_bar``, its old name, wins if given);
    ``eval_at`` as in :func:`inversion_run`; ``rng`` is unused (the map is deterministic).
    Trajectory states run from x_0 up to x_T.
    """
    final = final_alpha_bar if initial_alpha_bar is None else initial_alpha_bar
    run = inversion_run(alpha_bars, timesteps, eval_at=eval_at, rng=rng, final_alpha_bar=final,
                        prediction_type=prediction_type, clip=clip, threshold=threshold,
                        sample_max_value=sample_max_value)
    return collect(drive(ddim_steps, model, x_0, run), x_0, run, callback, return_trajectory)


__all__ = ["CONTRACT", "RUN_KEYWORDS", "SAMPLERS", "Registry", "Run", "Step", "Trajectory", "check_alpha_bars",
           "collect", "ddim_steps", "ddpm_steps", "drive", "inversion_process", "inversion_run", "invert",
           "noise_levels", "reverse_process", "sample", "sample_ddpm", "sampling_run"]
