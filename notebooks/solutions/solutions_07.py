"""Solutions to the exercises of notebook 05 (DDIM is an ODE solver)."""


def sigma(alpha_bar):
    """σ = √(1−ᾱ)/√ᾱ, the noise scale of x̄ = x/√ᾱ = x0 + σ ε."""
    return ((1 - alpha_bar) / alpha_bar) ** 0.5


def ddim_euler(x_t, eps, alpha_bar_t, alpha_bar_prev):
    """One Euler step of dx̄/dσ = ε̂ from σ_t to σ_prev, then back to x: the DDIM step (Eq. 14)."""
    xbar = x_t / alpha_bar_t**0.5
    xbar_prev = xbar + (sigma(alpha_bar_prev) - sigma(alpha_bar_t)) * eps
    return alpha_bar_prev**0.5 * xbar_prev


def heun_step(x_t, eps_model, alpha_bar_t, alpha_bar_prev):
    """Heun in σ: an Euler predictor, then the mean of the slopes at both ends (Karras et al. 2022, Alg. 1)."""
    eps_t = eps_model(x_t, alpha_bar_t)
    x_pred = ddim_euler(x_t, eps_t, alpha_bar_t, alpha_bar_prev)
    eps_prev = eps_model(x_pred, alpha_bar_prev)
    return ddim_euler(x_t, (eps_t + eps_prev) / 2, alpha_bar_t, alpha_bar_prev)
