"""Solutions to the exercises of notebook 05 (trajectories)."""
import numpy as np

from .solutions_04 import ddim_step


def ddim_loop(model, x_T, alpha_bars, timesteps):
    """Deterministic DDIM (η = 0): step from each τ_i to the NEXT element of τ, and the last step to ᾱ = 1."""
    levels = [alpha_bars[t] for t in timesteps] + [1.0]
    x = x_T
    for i, t in enumerate(timesteps):
        x = ddim_step(x, model(x, t), levels[i], levels[i + 1], eta=0.0, noise=0.0)
    return x


def total_turning(xs):
    """K = Σ_i ∠(Δ_i, Δ_{i+1}) per path, in radians: xs (S+1, n, 2) → (n,).

    The angle between two steps from their cosine, clipped to [−1, 1]: on a straight segment rounding
    can push it a hair past 1, where np.arccos returns NaN.
    """
    d = np.diff(xs, axis=0)                        # the S steps Δ_i = x_{i+1} − x_i
    cos = (d[1:] * d[:-1]).sum(-1) / (np.linalg.norm(d[1:], axis=-1) * np.linalg.norm(d[:-1], axis=-1))
    return np.arccos(cos.clip(-1, 1)).sum(axis=0)  # S − 1 turns per path


def x0_hat_from_states(x_t, x_prev, alpha_bar_t, alpha_bar_prev):
    """The x0̂ of an η = 0 step, from its two states: x_t = √ᾱ_t x0̂ + √(1−ᾱ_t) ε̂ and
    x_prev = √ᾱ_prev x0̂ + √(1−ᾱ_prev) ε̂ are two linear equations in (x0̂, ε̂); solve them (Cramer's rule)."""
    a, p = alpha_bar_t, alpha_bar_prev
    det = a**0.5 * (1 - p) ** 0.5 - p**0.5 * (1 - a) ** 0.5   # ≠ 0 whenever ᾱ_prev ≠ ᾱ_t
    return ((1 - p) ** 0.5 * x_t - (1 - a) ** 0.5 * x_prev) / det
