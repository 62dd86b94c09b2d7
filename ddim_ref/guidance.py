"""Guidance: classifier-free (Ho & Salimans 2022) and classifier guidance (Dhariwal & Nichol 2021), once each.

Notation (ᾱ is DDPM's; the DDIM paper writes α; s is diffusers' ``guidance_scale``):

    ε̃ = ε_u + s (ε_c − ε_u)                       classifier-free guidance        (Ho & Salimans 2022, Eq. 6)
    ε̃ = ε − s √(1−ᾱ_t) ∇_x log p(c | x_t)          classifier guidance, DDIM form  (Dhariwal & Nichol 2021, Alg. 2)

s = 1 is the plain conditional model and s = 0 the unconditional one; the paper's w is s − 1
(its ε̃ = (1 + w) ε_c − w ε_u). Since ε̂ = −√(1−ᾱ) ∇ log p_t, both shift the score to
∇ log p_t(x) + s ∇ log p_t(c | x), the score of p_t(x | c)^s p_t(x)^{1−s} at every *single*
noise level; that the noised tilts do not form one diffusion is why guided samples are not drawn
from the tilted data distribution p(x | c)^s p(x)^{1−s} (Chidambaram et al. 2024).

Each function returns a ``model(x_t, t)`` that every registered sampler takes. The CFG
combination is affine with weights summing to 1, so it is the same for ε-, x0- and
v-predictions (each is affine in ε̂ at fixed x_t); classifier guidance shifts ε and is written
in the model's own prediction type. Arithmetic only: tensors work too.
"""
from __future__ import annotations

from ._checks import check_number
from .parametrization import check_prediction_type


def cfg_combine(output_uncond, output_cond, guidance_scale):
    """ε̃ = ε_u + s (ε_c − ε_u) (Ho & Salimans 2022, Eq. 6 with w = s − 1); the same for x0̂ and v̂."""
    return output_uncond + guidance_scale * (output_cond - output_uncond)


def classifier_eps_shift(grad_log_prob, alpha_bar_t, guidance_scale):
    """Δε = −s √(1−ᾱ_t) ∇_x log p(c | x_t) (Dhariwal & Nichol 2021, Alg. 2)."""
    return -guidance_scale * (1 - alpha_bar_t) ** 0.5 * grad_log_prob


def eps_shift_as(delta_eps, alpha_bar_t, prediction_type: str = "epsilon"):
    """A shift Δε of ε̂ at fixed x_t, as the shift of the model's own output: Δε, −√(1−ᾱ)/√ᾱ Δε (x0) or Δε/√ᾱ (v)."""
    if prediction_type == "epsilon":
        return delta_eps
    if prediction_type == "sample":
        return -((1 - alpha_bar_t) / alpha_bar_t) ** 0.5 * delta_eps
    return delta_eps / alpha_bar_t**0.5


def _check_scale(guidance_scale) -> float:
    return check_number("guidance_scale", guidance_scale, hint="(1 = conditional, 0 = unconditional)")


def _check_same_shape(a, b, who):
    if tuple(a.shape) != tuple(b.shape):
        raise ValueError(f"{who}: shapes {tuple(a.shape)} and {tuple(b.shape)} differ")


def classifier_free(model_uncond, model_cond, guidance_scale):
    """``model(x_t, t)`` = ε_u + s (ε_c − ε_u): classifier-free guidance of two models of the same prediction type."""
    s = _check_scale(guidance_scale)

    def guided(x_t, t):
        out_u, out_c = model_uncond(x_t, t), model_cond(x_t, t)
        _check_same_shape(out_u, out_c, "classifier_free: the unconditional and conditional outputs")
        return cfg_combine(out_u, out_c, s)

    return guided


def classifier_guidance(model, grad_log_prob, guidance_scale, alpha_bars, prediction_type: str = "epsilon"):
    """``model(x_t, t)`` shifted by −s √(1−ᾱ_t) ∇_x log p(c | x_t) in ε (Dhariwal & Nichol 2021, Alg. 2).

    ``grad_log_prob(x_t, t)`` is the classifier's gradient at the model's timestep t, shaped like x_t;
    ``alpha_bars`` the schedule (ᾱ_t = alpha_bars[t]); the shift is written in ``prediction_type``.
    """
    s = _check_scale(guidance_scale)
    check_prediction_type(prediction_type)

    def guided(x_t, t):
        out, grad = model(x_t, t), grad_log_prob(x_t, t)
        _check_same_shape(out, grad, "classifier_guidance: the model output and the classifier gradient")
        ab = float(alpha_bars[t])
        return out + eps_shift_as(classifier_eps_shift(grad, ab, s), ab, prediction_type)

    return guided


__all__ = ["cfg_combine", "classifier_eps_shift", "classifier_free", "classifier_guidance", "eps_shift_as"]
