"""Solutions to the exercises of notebook 10 (what DDIM is used for: inversion, interpolation, editing, restoration)."""
import numpy as np


def ddim_inversion_step(x, eps, alpha_bar_t, alpha_bar_next):
    """The η = 0 DDIM step run upwards, from x at ᾱ_t to the noisier ᾱ_next < ᾱ_t (DDIM Eq. 12, levels swapped).

    x0̂ is computed where x is, x0̂ = (x − √(1−ᾱ_t) ε̂)/√ᾱ_t; both terms of the step then belong to the
    target level: √ᾱ_next x0̂ + √(1−ᾱ_next) ε̂. (In x̄ = x/√ᾱ, σ = √(1−ᾱ)/√ᾱ: x̄_next = x̄_t + (σ_next − σ_t) ε̂.)
    """
    x0_hat = (x - (1 - alpha_bar_t) ** 0.5 * eps) / alpha_bar_t**0.5
    return alpha_bar_next**0.5 * x0_hat + (1 - alpha_bar_next) ** 0.5 * eps


def slerp(z0, z1, alpha):
    """sin((1−α)θ)/sin θ z0 + sin(αθ)/sin θ z1, with cos θ = ⟨z0, z1⟩/(‖z0‖ ‖z1‖) per sample (axis 0 is the batch)."""
    axes = tuple(range(1, np.ndim(z0)))
    dot = (z0 * z1).sum(axis=axes, keepdims=True)
    norms = ((z0**2).sum(axis=axes, keepdims=True) * (z1**2).sum(axis=axes, keepdims=True)) ** 0.5
    theta = np.arccos(np.clip(dot / norms, -1, 1))
    return (np.sin((1 - alpha) * theta) * z0 + np.sin(alpha * theta) * z1) / np.sin(theta)


def sdedit_start(timesteps, strength):
    """τ_start: the first of the last n = max(1, round(strength·S)) elements of τ, i.e. τ_{S−n}."""
    n = max(1, round(strength * len(timesteps)))
    return timesteps[len(timesteps) - n]


def replace_known(x_prev, x_known, mask, alpha_bar_t, alpha_bar_prev, noise):
    """Known entries (mask = 1) ← √ᾱ_prev x_known + √(1−ᾱ_prev) ε, the level x_prev is at; the others keep x_prev.

    ``alpha_bar_t`` (the level the step started from) is not needed.
    """
    noised = alpha_bar_prev**0.5 * x_known + (1 - alpha_bar_prev) ** 0.5 * noise
    return mask * noised + (1 - mask) * x_prev
