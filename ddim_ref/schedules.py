"""Noise schedules and timestep sequences.

Notation (DDPM names; the DDIM paper writes α_t for what is ᾱ_t here):

    β_t        per-step noise variance, t = 0 … T−1            ``betas``
    α_t        1 − β_t                                          (per step; rarely needed)
    ᾱ_t        ∏_{s ≤ t} α_s, the signal fraction of x_t      ``alpha_bars``  (paper: α_t)
    SNR(t)     ᾱ_t / (1 − ᾱ_t)                                  ``snr``
    τ          a strictly decreasing subsequence of 0 … T−1     ``timesteps``   (paper: τ reversed)

Indices are 0-based like diffusers: ``alpha_bars[t]`` is the noise level of the model's
timestep ``t``; "t = −1" is clean data, ᾱ = 1.
"""
from __future__ import annotations

import math

import numpy as np

from ._checks import check_choice, check_int

BETA_SCHEDULES = ("linear", "scaled_linear", "cosine", "sigmoid")
SPACINGS = ("leading", "trailing", "linspace", "quadratic")
DEFAULT_SPACING = "trailing"  # Lin et al. 2023: starts at t = T−1, the level x_T ~ N(0, I) is closest to


def _check_num_train_steps(num_train_steps) -> int:
    return check_int("num_train_steps", num_train_steps, 1)


def beta_schedule(name: str, num_train_steps: int, *, beta_start: float = 1e-4, beta_end: float = 0.02,
                  s: float = 0.008, max_beta: float = 0.999) -> np.ndarray:
    """β_1 … β_T as a float64 array of shape (T,).

    ``"linear"``: Ho et al. 2020, linspace(beta_start, beta_end).
    ``"scaled_linear"``: linspace of √β, squared (latent diffusion).
    ``"cosine"``: Nichol & Dhariwal 2021, Eq. 17, ᾱ(t) = cos²((t/T + s)/(1 + s) · π/2), β capped at
    ``max_beta`` (diffusers' ``squaredcos_cap_v2``).
    ``"sigmoid"``: sigmoid(linspace(−6, 6)) rescaled to [beta_start, beta_end] (diffusers' DDPM).
    """
    T = _check_num_train_steps(num_train_steps)
    if not (0 < beta_start <= beta_end < 1):
        raise ValueError(f"need 0 < beta_start <= beta_end < 1, got beta_start={beta_start}, beta_end={beta_end}")
    if name == "linear":
        betas = np.linspace(beta_start, beta_end, T)
    elif name == "scaled_linear":
        betas = np.linspace(beta_start**0.5, beta_end**0.5, T) ** 2
    elif name == "cosine":
        def f(u):
            return math.cos((u + s) / (1 + s) * math.pi / 2) ** 2

        betas = np.array([min(1 - f((i + 1) / T) / f(i / T), max_beta) for i in range(T)])
    elif name == "sigmoid":
        z = np.linspace(-6, 6, T)
        betas = 1 / (1 + np.exp(-z)) * (beta_end - beta_start) + beta_start
    else:
        check_choice("name", name, BETA_SCHEDULES, what="beta schedule")
    return betas.astype(np.float64)


def check_betas(betas) -> np.ndarray:
    """Return ``betas`` as float64 after checking it is 1-D with every β in (0, 1]."""
    betas = np.asarray(betas, dtype=np.float64)
    if betas.ndim != 1 or betas.size == 0:
        raise ValueError(f"betas must be a non-empty 1-D array, got shape {betas.shape}")
    if not np.all((betas > 0) & (betas <= 1)):
        raise ValueError("every beta must lie in (0, 1]")
    return betas


def alpha_bars(betas) -> np.ndarray:
    """ᾱ_t = ∏_{s ≤ t} (1 − β_s) (DDPM Eq. 4; the DDIM paper's α_t)."""
    return np.cumprod(1.0 - check_betas(betas))


def betas_from_alpha_bars(alpha_bars) -> np.ndarray:
    """Invert :func:`alpha_bars`: β_t = 1 − ᾱ_t / ᾱ_{t−1} with ᾱ_{−1} = 1."""
    ab = np.asarray(alpha_bars, dtype=np.float64)
    return 1.0 - ab / np.concatenate([[1.0], ab[:-1]])


def rescale_zero_terminal_snr(betas) -> np.ndarray:
    """Lin et al. 2023, Algorithm 1: shift and scale √ᾱ so that ᾱ_{T−1} = 0 (zero terminal SNR)."""
    sqrt_ab = alpha_bars(betas) ** 0.5
    first, last = sqrt_ab[0], sqrt_ab[-1]
    sqrt_ab = (sqrt_ab - last) * first / (first - last)
    return betas_from_alpha_bars(sqrt_ab**2)


def snr(alpha_bar):
    """Signal-to-noise ratio ᾱ / (1 − ᾱ)."""
    alpha_bar = np.asarray(alpha_bar, dtype=np.float64)
    with np.errstate(divide="ignore"):
        return alpha_bar / (1.0 - alpha_bar)


def log_snr(alpha_bar):
    """λ = log(ᾱ / (1 − ᾱ)), the log-SNR used by DPM-Solver and Kingma et al. 2021."""
    alpha_bar = np.asarray(alpha_bar, dtype=np.float64)
    with np.errstate(divide="ignore"):
        return np.log(alpha_bar) - np.log1p(-alpha_bar)


def sigma_from_alpha_bar(alpha_bar):
    """σ = √(1 − ᾱ)/√ᾱ, the noise scale of x̄ = x/√ᾱ = x0 + σ ε (the DDIM paper's ODE variable, Eq. 14)."""
    alpha_bar = np.asarray(alpha_bar, dtype=np.float64)
    return ((1.0 - alpha_bar) / alpha_bar) ** 0.5


def alpha_bar_from_sigma(sigma):
    """Inverse of :func:`sigma_from_alpha_bar`: ᾱ = 1 / (1 + σ²)."""
    return 1.0 / (1.0 + np.asarray(sigma, dtype=np.float64) ** 2)


def timesteps(num_train_steps: int, num_steps: int, spacing: str = DEFAULT_SPACING, steps_offset: int = 0
              ) -> np.ndarray:
    """The sampling sequence τ as a strictly descending int64 array of length ``num_steps``.

    The default ``"trailing"`` starts at t = T−1 (Lin et al. 2023), the level x_T ~ N(0, I) matches best.
    ``"leading"``, ``"trailing"``, ``"linspace"`` equal diffusers' ``DDIMScheduler.set_timesteps``
    (Lin et al. 2023, Table 2); ``steps_offset`` shifts ``"leading"`` only, as there. For some
    (T, S) diffusers' "trailing" appends a spurious −1 (S+1 values); here it is always S values.
    ``"quadratic"`` is the official DDIM code's ⌊linspace(0, √(0.8T), S)²⌋. Where that rule repeats
    a timestep (S > √(0.8T) + 1), each repeat is moved up to one past its predecessor, since the
    official loop would spend a model call on a zero-length step.
    """
    T = _check_num_train_steps(num_train_steps)
    S = check_int("num_steps", num_steps, 1, T, hint="(num_train_steps)")
    if spacing == "leading":
        ratio = T // S
        ts = (np.arange(S) * ratio).round()[::-1] + steps_offset
    elif spacing == "trailing":
        # diffusers' np.arange(T, 0, −T/S) can yield a spurious (S+1)-th value ≈ 0 (→ timestep −1)
        # through rounding, e.g. T = 50, S = 29; keep its first S values.
        ts = np.round(np.arange(T, 0, -T / S)[:S]) - 1
    elif spacing == "linspace":
        ts = np.linspace(0, T - 1, S).round()[::-1]
    elif spacing == "quadratic":
        q = np.floor(np.linspace(0, (0.8 * T) ** 0.5, S) ** 2).astype(np.int64)
        ts = np.maximum.accumulate(q - np.arange(S)) + np.arange(S)  # q_i, or previous + 1 if that is larger
        ts = ts[::-1]
    else:
        check_choice("spacing", spacing, SPACINGS, what="timestep spacing")
    return check_timesteps(ts.astype(np.int64), T)


def check_timesteps(timesteps, num_train_steps: int) -> np.ndarray:
    """Validate a (custom) sequence τ: 1-D, integer, strictly descending, inside [0, T). Returns int64."""
    T = _check_num_train_steps(num_train_steps)
    ts = np.asarray(timesteps)
    if ts.ndim != 1 or ts.size == 0:
        raise ValueError(f"timesteps must be a non-empty 1-D sequence, got shape {ts.shape}")
    if not (np.issubdtype(ts.dtype, np.integer) or np.all(ts == np.round(ts))):
        raise ValueError("timesteps must be integers")
    ts = ts.astype(np.int64)
    if np.any(np.diff(ts) >= 0):
        raise ValueError("timesteps must be strictly descending (sample from high noise to low), "
                         f"got {ts.tolist()[:8]}...")
    if ts[0] >= T or ts[-1] < 0:
        raise ValueError(f"timesteps must lie in [0, {T - 1}], got range [{ts[-1]}, {ts[0]}]")
    return ts
