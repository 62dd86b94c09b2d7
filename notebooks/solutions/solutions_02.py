"""Solutions to the exercises of notebook 02 (the DDPM reverse process)."""


def posterior_mean(x_t, x0, alpha_bar_t, alpha_bar_prev):
    """μ̃ = √ᾱ_prev β/(1−ᾱ_t) x0 + √α (1−ᾱ_prev)/(1−ᾱ_t) x_t with α = ᾱ_t/ᾱ_prev, β = 1 − α (DDPM Eq. 7)."""
    alpha = alpha_bar_t / alpha_bar_prev
    beta = 1 - alpha
    return (alpha_bar_prev**0.5 * beta * x0 + alpha**0.5 * (1 - alpha_bar_prev) * x_t) / (1 - alpha_bar_t)


def posterior_variance(alpha_bar_t, alpha_bar_prev):
    """β̃ = (1−ᾱ_prev)/(1−ᾱ_t) β (DDPM Eq. 7)."""
    return (1 - alpha_bar_prev) / (1 - alpha_bar_t) * (1 - alpha_bar_t / alpha_bar_prev)


def posterior_mean_x0_eps(x0, eps, alpha_bar_t, alpha_bar_prev):
    """μ̃ with x_t = √ᾱ_t x0 + √(1−ᾱ_t) ε put in: √ᾱ_prev x0 + √(1 − ᾱ_prev − β̃) ε.

    Derivation: the x0 coefficient is √ᾱ_prev β/(1−ᾱ_t) + √α √ᾱ_t (1−ᾱ_prev)/(1−ᾱ_t) = √ᾱ_prev (use
    ᾱ_t = α ᾱ_prev); the ε coefficient c = √α (1−ᾱ_prev)/√(1−ᾱ_t) satisfies c² + β̃ = 1 − ᾱ_prev: given x0,
    Var(x_prev) = Var(μ̃) + β̃ (the law of total variance).
    """
    beta = 1 - alpha_bar_t / alpha_bar_prev
    beta_tilde = (1 - alpha_bar_prev) / (1 - alpha_bar_t) * beta
    return alpha_bar_prev**0.5 * x0 + (1 - alpha_bar_prev - beta_tilde) ** 0.5 * eps
