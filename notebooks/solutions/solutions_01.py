"""Solutions to the exercises of notebook 01 (the forward process), checked by ``tests/test_exercises.py``."""
import numpy as np


def q_sample(x0, alpha_bar_t, noise):
    """x_t = √ᾱ_t x0 + √(1−ᾱ_t) ε (DDPM Eq. 4)."""
    return alpha_bar_t**0.5 * x0 + (1 - alpha_bar_t) ** 0.5 * noise


def alpha_bars(betas):
    """ᾱ_t = ∏_{s≤t} (1 − β_s)."""
    return np.cumprod(1 - np.asarray(betas))
