"""Solution to the exercise of notebook 04 (write the DDIM loop)."""
from .solutions_03 import ddim_step


def ddim_loop(model, x_T, alpha_bars, timesteps):
    """Deterministic DDIM (η = 0): step from each τ_i to the NEXT element of τ, and the last step to ᾱ = 1."""
    levels = [alpha_bars[t] for t in timesteps] + [1.0]
    x = x_T
    for i, t in enumerate(timesteps):
        x = ddim_step(x, model(x, t), levels[i], levels[i + 1], eta=0.0, noise=0.0)
    return x
