"""The forward process and the three things a network may predict: ε, x0 or v.

Notation (ᾱ is DDPM's; the DDIM paper calls it α):

    x_t = √ᾱ_t x0 + √(1−ᾱ_t) ε        forward marginal q(x_t | x0), DDPM Eq. 4
    v   = √ᾱ_t ε − √(1−ᾱ_t) x0         velocity, Salimans & Ho 2022, Sec. 4
    x0  = (x_t − √(1−ᾱ_t) ε) / √ᾱ_t    "predicted x0", DDIM Eq. 9

Written with arithmetic only, so each function takes NumPy arrays or torch tensors;
``alpha_bar`` is a float or an array that broadcasts against ``x``.
"""
from __future__ import annotations

from ._checks import check_choice

PREDICTION_TYPES = ("epsilon", "sample", "v_prediction")


def q_sample(x0, alpha_bar_t, noise):
    """Draw x_t ~ q(x_t | x0) given the noise ε: √ᾱ_t x0 + √(1−ᾱ_t) ε (DDPM Eq. 4)."""
    return alpha_bar_t**0.5 * x0 + (1 - alpha_bar_t) ** 0.5 * noise


def x0_from_eps(x_t, eps, alpha_bar_t):
    """x0 = (x_t − √(1−ᾱ_t) ε) / √ᾱ_t (DDIM Eq. 9)."""
    return (x_t - (1 - alpha_bar_t) ** 0.5 * eps) / alpha_bar_t**0.5


def eps_from_x0(x_t, x0, alpha_bar_t):
    """ε = (x_t − √ᾱ_t x0) / √(1−ᾱ_t)."""
    return (x_t - alpha_bar_t**0.5 * x0) / (1 - alpha_bar_t) ** 0.5


def v_from_x0_eps(x0, eps, alpha_bar_t):
    """v = √ᾱ_t ε − √(1−ᾱ_t) x0 (Salimans & Ho 2022)."""
    return alpha_bar_t**0.5 * eps - (1 - alpha_bar_t) ** 0.5 * x0


def x0_from_v(x_t, v, alpha_bar_t):
    """x0 = √ᾱ_t x_t − √(1−ᾱ_t) v."""
    return alpha_bar_t**0.5 * x_t - (1 - alpha_bar_t) ** 0.5 * v


def eps_from_v(x_t, v, alpha_bar_t):
    """ε = √(1−ᾱ_t) x_t + √ᾱ_t v."""
    return (1 - alpha_bar_t) ** 0.5 * x_t + alpha_bar_t**0.5 * v


def check_prediction_type(prediction_type: str) -> str:
    """``prediction_type`` if it is one of ``PREDICTION_TYPES``, else a ValueError listing them."""
    return check_choice("prediction_type", prediction_type, PREDICTION_TYPES)


def predict_x0_eps(x_t, model_output, alpha_bar_t, prediction_type: str = "epsilon"):
    """(x0̂, ε̂) from whatever the network predicts.

    ε-prediction cannot recover x0 where ᾱ_t = 0 (zero terminal SNR): that raises, pointing to v.
    """
    check_prediction_type(prediction_type)
    if prediction_type == "epsilon":
        if float(alpha_bar_t if not hasattr(alpha_bar_t, "min") else alpha_bar_t.min()) <= 0:
            raise ValueError("epsilon-prediction cannot recover x0 at alpha_bar = 0 (zero terminal SNR): "
                             "use prediction_type='v_prediction' or 'sample'")
        return x0_from_eps(x_t, model_output, alpha_bar_t), model_output
    if prediction_type == "sample":
        if float(alpha_bar_t if not hasattr(alpha_bar_t, "max") else alpha_bar_t.max()) >= 1:
            return model_output, 0 * model_output  # no noise left: ε is undefined and multiplies zero
        return model_output, eps_from_x0(x_t, model_output, alpha_bar_t)
    return x0_from_v(x_t, model_output, alpha_bar_t), eps_from_v(x_t, model_output, alpha_bar_t)


def model_target(x0, eps, alpha_bar_t, prediction_type: str = "epsilon"):
    """What a network trained with ``prediction_type`` should output for (x0, ε): the training target."""
    check_prediction_type(prediction_type)
    if prediction_type == "epsilon":
        return eps
    if prediction_type == "sample":
        return x0
    return v_from_x0_eps(x0, eps, alpha_bar_t)
