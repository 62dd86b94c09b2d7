"""Solutions to the exercises of notebook 03 (training a denoiser), checked by ``tests/test_exercises.py``."""
import numpy as np


def simple_loss(eps_model, x0, t, noise, alpha_bars):
    """L_simple on one batch: the mean over samples and coordinates of (ε̂_θ(x_t, t) − ε)² (DDPM Eq. 14).

    x0, noise: (B, d); t: int array (B,); eps_model(x_t, t) → (B, d).
    """
    alpha_bar_t = alpha_bars[t][:, None]                          # (B, 1): broadcasts over the coordinates
    x_t = alpha_bar_t**0.5 * x0 + (1 - alpha_bar_t) ** 0.5 * noise
    return np.mean((eps_model(x_t, t) - noise) ** 2)


def optimal_denoiser(x_t, alpha_bar, mean, var):
    """E[ε | x_t] for data x0 ~ N(μ, s² I) at level ᾱ.

    Per coordinate (ε, x_t) is jointly Gaussian: E ε = 0, Var ε = 1; E x_t = √ᾱ μ, Var x_t = ᾱ s² + 1 − ᾱ;
    Cov(ε, x_t) = √(1−ᾱ). Conditioning: E[ε | x_t] = Cov / Var x_t · (x_t − E x_t).
    """
    return (1 - alpha_bar) ** 0.5 * (x_t - alpha_bar**0.5 * np.asarray(mean)) / (alpha_bar * var + 1 - alpha_bar)


def loss_floor(alpha_bar, var):
    """E Var[ε | x_t] per coordinate for data N(μ, s² I): Var ε − Cov²/Var x_t = 1 − (1−ᾱ)/(ᾱ s² + 1 − ᾱ)."""
    return 1 - (1 - alpha_bar) / (alpha_bar * var + 1 - alpha_bar)
