"""Solutions to the exercises of notebook 04 (from DDPM to DDIM).

The notebook asks for ``ddim_step``, ``ddim_step_x0`` and ``eta_for_sigma_hat``; ``x0_from_eps`` and
``ddim_sigma`` answer the module's two further checkers (and ``ddim_step`` uses them).
"""


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


def ddim_step_x0(x_t, x0_hat, alpha_bar_t, alpha_bar_prev, eta, noise):
    """The DDIM step for a network that predicts x0: ε̂ = (x_t − √ᾱ_t x0̂)/√(1−ᾱ_t) is the noise x0̂ implies.

    Then Eq. 12 as before: x_prev = √ᾱ_prev x0̂ + √(1−ᾱ_prev−σ²) ε̂ + σ z.
    """
    eps = (x_t - alpha_bar_t**0.5 * x0_hat) / (1 - alpha_bar_t) ** 0.5
    sigma = ddim_sigma(alpha_bar_t, alpha_bar_prev, eta)
    return alpha_bar_prev**0.5 * x0_hat + (1 - alpha_bar_prev - sigma**2) ** 0.5 * eps + sigma * noise


def eta_for_sigma_hat(alpha_bar_t, alpha_bar_prev):
    """σ_t(η)² = η² β̃ = β' with β̃ = (1−ᾱ_prev)/(1−ᾱ_t) β', so η = √((1−ᾱ_t)/(1−ᾱ_prev)) > 1.

    σ̂ is therefore no member of the η ≤ 1 family; and even at this η the family's direction
    coefficient √(1−ᾱ_prev−β') differs from σ̂'s, which keeps the η = 1 coefficient.
    """
    return ((1 - alpha_bar_t) / (1 - alpha_bar_prev)) ** 0.5
