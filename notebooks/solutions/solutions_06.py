"""Solutions to the exercises of notebook 06 (the score and the probability flow)."""
import numpy as np


def score_from_eps(eps, alpha_bar):
    """∇ log p_t(x_t) = −E[ε | x_t] / √(1−ᾱ): Tweedie's relation, solved for the score."""
    return -eps / (1 - alpha_bar) ** 0.5


def tweedie_x0(x_t, score, alpha_bar):
    """E[x0 | x_t] = (x_t + (1−ᾱ) ∇ log p_t(x_t)) / √ᾱ: Eq. 9 with ε̂ = −√(1−ᾱ) ∇ log p_t."""
    return (x_t + (1 - alpha_bar) * score) / alpha_bar**0.5


def gaussian_score(x_t, mean, cov, alpha_bar):
    """x0 ~ N(μ, Σ) gives x_t ~ N(√ᾱ μ, C), C = ᾱ Σ + (1−ᾱ) I, whose score is −C⁻¹ (x_t − √ᾱ μ)."""
    mean, cov = np.asarray(mean, dtype=float), np.asarray(cov, dtype=float)
    c = alpha_bar * cov + (1 - alpha_bar) * np.eye(len(mean))
    return -np.linalg.solve(c, (x_t - alpha_bar**0.5 * mean).T).T
