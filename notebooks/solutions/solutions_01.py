"""Solutions to the exercises of notebook 01 (the forward process), checked by ``tests/test_exercises.py``."""
import numpy as np


def q_sample(x0, alpha_bar_t, noise):
    """x_t = √ᾱ_t x0 + √(1−ᾱ_t) ε (DDPM Eq. 4)."""
    return alpha_bar_t**0.5 * x0 + (1 - alpha_bar_t) ** 0.5 * noise


def alpha_bars(betas):
    """ᾱ_t = ∏_{s≤t} (1 − β_s)."""
    return np.cumprod(1 - np.asarray(betas))


def snr_crossing(betas, snr):
    """The first timestep t = 0 … T−1 with SNR(t) = ᾱ_t/(1−ᾱ_t) < snr (0-based, as ``alpha_bars[t]``)."""
    alpha_bar = np.cumprod(1 - np.asarray(betas))
    below = alpha_bar / (1 - alpha_bar) < snr        # SNR falls monotonically: False … False True … True
    return int(np.argmax(below))                     # the index of the first True
