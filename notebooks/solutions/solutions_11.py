"""Solutions to the exercises of notebook 11 (guidance: classifier-free and classifier guidance)."""
import numpy as np


def cfg_combine(eps_uncond, eps_cond, s):
    """ε̃ = ε_u + s (ε_c − ε_u) (Ho & Salimans 2022, Eq. 6, with diffusers' s = w + 1): s = 1 is ε_c, s = 0 is ε_u."""
    return eps_uncond + s * (eps_cond - eps_uncond)


def classifier_guidance(eps, grad_log_prob, alpha_bar, s):
    """ε̃ = ε − s √(1−ᾱ) ∇ log p(c | x_t): the score shift s ∇ log p(c | x_t), written in ε (ε̂ = −√(1−ᾱ) × score)."""
    return eps - s * (1 - alpha_bar) ** 0.5 * grad_log_prob


def tilted_gaussian(mean_c, var_c, mean, var, s):
    """[mean, variance] of N(mean_c, var_c)^s N(mean, var)^{1−s}, renormalised.

    log p = −s (x − mean_c)² / 2 var_c − (1 − s) (x − mean)² / 2 var + const: a quadratic in x whose
    x² coefficient is −precision / 2 with precision = s / var_c + (1 − s) / var, and whose maximum is the
    precision-weighted mean.
    """
    precision = s / var_c + (1 - s) / var
    return np.array([(s * mean_c / var_c + (1 - s) * mean / var) / precision, 1 / precision])
