"""Solutions to the exercises of notebook 03 (from DDPM to DDIM)."""


def x0_from_eps(x_t, eps, alpha_bar_t):
    """x0̂ = (x_t − √(1−ᾱ_t) ε̂)/√ᾱ_t (DDIM Eq. 9)."""
    return (x_t - (1 - alpha_bar_t) ** 0.5 * eps) / alpha_bar_t**0.5


def ddim_sigma(alpha_bar_t, alpha_bar_prev, eta):
    """σ_t(η) = η √((1−ᾱ_prev)/(1−ᾱ_t)) √(1 − ᾱ_t/ᾱ_prev) (DDIM Eq. 16)."""
    return eta * ((1 - alpha_bar_prev) / (1 - alpha_bar_t)) ** 0.5 * (1 - alpha_bar_t / alpha_bar_prev) ** 0.5


def ddim_step(x_t, eps, alpha_bar_t, alpha_bar_prev, eta, noise):
    """x_prev = √ᾱ_prev x0̂ + √(1−ᾱ_prev−σ²) ε̂ + σ z (DDIM Eq. 12)."""
    x0_hat = x0_from_eps(x_t, eps, alpha_bar_t)
    sigma = ddim_sigma(alpha_bar_t, alpha_bar_prev, eta)
    return alpha_bar_prev**0.5 * x0_hat + (1 - alpha_bar_prev - sigma**2) ** 0.5 * eps + sigma * noise
