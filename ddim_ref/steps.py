"""One reverse step: the DDIM update (Song et al. 2021) and the DDPM posterior step (Ho et al. 2020).

Notation (ᾱ is DDPM's ᾱ; the DDIM paper writes it α):

    ᾱ_t, ᾱ_prev   noise levels of the current state and of the step's target; any pair with
                  ᾱ_prev ≥ ᾱ_t, so both steps work on any decreasing subsequence τ
    x0̂, ε̂         the model's prediction of the clean sample and of the noise
    σ             std of the fresh noise z ~ N(0, I) added by the step
    β'            1 − ᾱ_t/ᾱ_prev, the effective β of the (possibly skipping) step

Both steps take ᾱ values, not indices, and are written with arithmetic and ``.clip`` only, so
they run unchanged on NumPy arrays and on torch tensors (the torch mirror calls these very
functions). Each returns ``(x_prev, x0_hat)``.
"""
from __future__ import annotations

import math
from numbers import Real

from ._backend import quantile_per_sample, standard_normal
from ._checks import check_choice, check_number
from .parametrization import eps_from_x0, predict_x0_eps

VARIANCES = ("small", "large")


# ---------------------------------------------------------------- checks
def _float_range(a):
    """(min, max) of a float or array-like noise level."""
    if hasattr(a, "min"):
        return float(a.min()), float(a.max())
    return float(a), float(a)


def _check_levels(alpha_bar_t, alpha_bar_prev, stochastic: bool):
    lo_t, hi_t = _float_range(alpha_bar_t)
    lo_p, hi_p = _float_range(alpha_bar_prev)
    for name, lo, hi in (("alpha_bar_t", lo_t, hi_t), ("alpha_bar_prev", lo_p, hi_p)):
        if not (lo >= 0 and hi <= 1) or math.isnan(lo) or math.isnan(hi):
            raise ValueError(f"{name} must lie in [0, 1] (alpha_bar = 0 only with v- or x0-prediction), got {lo}..{hi}")
    if lo_p <= 0:
        raise ValueError("alpha_bar_prev must be > 0: a step cannot land on pure noise")
    if stochastic and hi_t >= 1:
        raise ValueError("a stochastic step needs alpha_bar_t < 1 (x_t carries no noise at alpha_bar = 1)")
    if stochastic and _float_range(alpha_bar_prev - alpha_bar_t)[0] < 0:  # per element: levels may differ per sample
        raise ValueError("a stochastic step needs alpha_bar_prev >= alpha_bar_t (it removes noise; "
                         "only the deterministic eta = 0 step runs in either direction)")


def _check_shapes(x_t, model_output, noise=None):
    if tuple(x_t.shape) != tuple(model_output.shape):
        raise ValueError(f"model_output shape {tuple(model_output.shape)} does not match x_t shape {tuple(x_t.shape)}")
    if noise is not None and tuple(noise.shape) != tuple(x_t.shape):
        raise ValueError(f"noise shape {tuple(noise.shape)} does not match x_t shape {tuple(x_t.shape)}")


def check_eta(eta) -> float:
    """η as a float: finite and ≥ 0 (0 = DDIM, 1 = DDPM's posterior)."""
    return check_number("eta", eta, 0, hint="(0 = DDIM, 1 = DDPM-like)")


def _check_variance(variance):
    check_choice("variance", variance, VARIANCES)


def _nonneg(a):
    """max(a, 0) for a float or an array (rounding can leave −1e-17 where a is exactly 0)."""
    return a.clip(0, None) if hasattr(a, "clip") else max(a, 0.0)


def _noise(noise, rng, x_t, who):
    if noise is not None:
        return noise
    if rng is None:
        raise ValueError(f"{who} adds noise here: pass noise= (shaped like x_t) or rng=")
    return standard_normal(rng, x_t)


# ---------------------------------------------------------------- x0̂ post-processing
def dynamic_threshold(x0_hat, ratio: float = 0.995, sample_max_value: float = 1.0):
    """Imagen's dynamic thresholding (Saharia et al. 2022, Sec. 2.3), as diffusers does it.

    Per sample, s = the ``ratio`` quantile of |x0̂|, clamped to [1, sample_max_value];
    x0̂ is clipped to [−s, s] and divided by s.
    """
    if not 0 < ratio <= 1:
        raise ValueError(f"dynamic threshold ratio must lie in (0, 1], got {ratio}")
    s = quantile_per_sample(abs(x0_hat), ratio).clip(1, sample_max_value)
    s = s.reshape((-1,) + (1,) * (x0_hat.ndim - 1))
    return x0_hat.clip(-s, s) / s


def process_x0(x0_hat, clip=None, threshold=None, sample_max_value=1.0):
    """Apply dynamic thresholding (``threshold`` = quantile ratio) or clipping to x0̂.

    ``clip`` is c (clip to [−c, c]) or a pair (lo, hi). Thresholding wins if both are given, as in diffusers.
    """
    if threshold is not None:
        return dynamic_threshold(x0_hat, threshold, sample_max_value)
    if clip is None:
        return x0_hat
    lo, hi = (-clip, clip) if isinstance(clip, Real) else clip
    if not lo < hi:
        raise ValueError(f"clip must be c > 0 or a pair (lo, hi) with lo < hi, got {clip!r}")
    return x0_hat.clip(lo, hi)


def x0_eps_hat(x_t, model_output, alpha_bar_t, prediction_type="epsilon", clip=None, threshold=None,
               sample_max_value=1.0, use_clipped_model_output=False):
    """(x0̂, ε̂) a step uses: the model's prediction (Eq. 9), x0̂ clipped or thresholded if asked.

    ``use_clipped_model_output`` recomputes ε̂ from the processed x0̂, so that x_t = √ᾱ x0̂ + √(1−ᾱ) ε̂ holds again.
    """
    x0_hat, eps_hat = predict_x0_eps(x_t, model_output, alpha_bar_t, prediction_type)
    if clip is not None or threshold is not None:
        x0_hat = process_x0(x0_hat, clip, threshold, sample_max_value)
        if use_clipped_model_output:  # keep x_t = √ᾱ x0̂ + √(1−ᾱ) ε̂ consistent after clipping
            eps_hat = eps_from_x0(x_t, x0_hat, alpha_bar_t)
    return x0_hat, eps_hat


# ---------------------------------------------------------------- DDIM
def ddim_sigma(alpha_bar_t, alpha_bar_prev, eta=1.0):
    """σ_t(η) = η √((1−ᾱ_prev)/(1−ᾱ_t)) √(1−ᾱ_t/ᾱ_prev)  (DDIM Eq. 16). η = 1 gives DDPM's β̃."""
    if eta == 0:
        return 0.0 * alpha_bar_t
    return eta * ((1 - alpha_bar_prev) / (1 - alpha_bar_t)) ** 0.5 * (1 - alpha_bar_t / alpha_bar_prev) ** 0.5


def ddim_step(x_t, model_output, alpha_bar_t, alpha_bar_prev, eta=0.0, noise=None, prediction_type="epsilon",
              clip=None, *, threshold=None, sample_max_value=1.0, use_clipped_model_output=False,
              sigma_hat=False, rng=None):
    """One DDIM step x_t → x_prev (Song et al. 2021, Eq. 12 with σ from Eq. 16).

        x0̂     = (x_t − √(1−ᾱ_t) ε̂) / √ᾱ_t                          "predicted x0"         (Eq. 9)
        x_prev = √ᾱ_prev x0̂ + √(1 − ᾱ_prev − σ²) ε̂ + σ z             direction to x_t, noise (Eq. 12)

    ``eta`` = 0 is deterministic DDIM, 1 the DDPM posterior; ``sigma_hat=True`` is the paper's σ̂
    (Sec. 5.1): noise std √(1−ᾱ_t/ᾱ_prev) with the η = 1 coefficient on ε̂ (``eta`` unused), i.e.
    ``ddpm_step(variance="large")``. Like DDPM's Algorithm 2 and the official DDIM code
    (``ddpm_noisy``), σ̂ adds no noise on the step onto ᾱ_prev = 1, where Eq. 16's σ(η) is 0 anyway.
    ``noise`` is z; it may be omitted when σ = 0, or drawn from ``rng``. ``clip``/``threshold``
    act on x0̂ as diffusers' ``clip_sample``/``thresholding`` do.
    """
    check_eta(eta)
    stochastic = sigma_hat or eta > 0
    _check_levels(alpha_bar_t, alpha_bar_prev, stochastic)
    _check_shapes(x_t, model_output, noise)
    x0_hat, eps_hat = x0_eps_hat(x_t, model_output, alpha_bar_t, prediction_type, clip, threshold,
                                 sample_max_value, use_clipped_model_output)
    sigma = ddim_sigma(alpha_bar_t, alpha_bar_prev, 1.0 if sigma_hat else eta)
    dir_var = 1 - alpha_bar_prev - sigma**2
    if _float_range(dir_var)[0] < -1e-12:
        raise ValueError(f"eta = {eta} is too large: 1 - alpha_bar_prev - sigma^2 < 0; use eta <= 1")
    x_prev = alpha_bar_prev**0.5 * x0_hat + _nonneg(dir_var) ** 0.5 * eps_hat
    if sigma_hat:
        sigma = (1 - alpha_bar_t / alpha_bar_prev) ** 0.5 * (alpha_bar_prev < 1)
    if _float_range(sigma)[1] > 0:
        x_prev = x_prev + sigma * _noise(noise, rng, x_t, "ddim_step with eta > 0")
    return x_prev, x0_hat


# ---------------------------------------------------------------- DDPM
def posterior_mean(x_t, x0, alpha_bar_t, alpha_bar_prev):
    """μ̃(x_t, x0) = √ᾱ_prev β'/(1−ᾱ_t) x0 + √(1−β') (1−ᾱ_prev)/(1−ᾱ_t) x_t  (DDPM Eq. 7)."""
    beta = 1 - alpha_bar_t / alpha_bar_prev
    return (alpha_bar_prev**0.5 * beta * x0 + (1 - beta) ** 0.5 * (1 - alpha_bar_prev) * x_t) / (1 - alpha_bar_t)


def posterior_mean_eps(x_t, eps, alpha_bar_t, alpha_bar_prev):
    """μ̃ in ε-form: (x_t − β'/√(1−ᾱ_t) ε) / √(1−β')  (DDPM Eq. 11, with β' for skipped steps)."""
    beta = 1 - alpha_bar_t / alpha_bar_prev
    return (x_t - beta / (1 - alpha_bar_t) ** 0.5 * eps) / (1 - beta) ** 0.5


def posterior_variance(alpha_bar_t, alpha_bar_prev, variance="small"):
    """"small": β̃ = (1−ᾱ_prev)/(1−ᾱ_t) β' (Eq. 7); "large": β' (DDPM Sec. 3.2's σ² = β)."""
    _check_variance(variance)
    beta = 1 - alpha_bar_t / alpha_bar_prev
    return (1 - alpha_bar_prev) / (1 - alpha_bar_t) * beta if variance == "small" else beta


def ddpm_step(x_t, model_output, alpha_bar_t, alpha_bar_prev, noise=None, variance="small",
              prediction_type="epsilon", clip=None, *, threshold=None, sample_max_value=1.0, rng=None):
    """One ancestral step x_prev ~ q(x_prev | x_t, x0̂) = N(μ̃(x_t, x0̂), σ² I) (DDPM Eqs. 6–7).

    σ² is β̃ (``variance="small"``) or β' (``"large"``); no noise is added when ᾱ_prev = 1,
    the last step onto data, as in DDPM's Algorithm 2.
    """
    _check_variance(variance)
    _check_levels(alpha_bar_t, alpha_bar_prev, stochastic=True)
    _check_shapes(x_t, model_output, noise)
    x0_hat, _ = x0_eps_hat(x_t, model_output, alpha_bar_t, prediction_type, clip, threshold, sample_max_value)
    x_prev = posterior_mean(x_t, x0_hat, alpha_bar_t, alpha_bar_prev)
    if _float_range(alpha_bar_prev)[0] < 1:
        var = posterior_variance(alpha_bar_t, alpha_bar_prev, variance)
        x_prev = x_prev + var**0.5 * _noise(noise, rng, x_t, "ddpm_step")
    return x_prev, x0_hat


__all__ = ["ddim_step", "ddim_sigma", "ddpm_step", "posterior_mean", "posterior_mean_eps", "posterior_variance",
           "dynamic_threshold", "process_x0", "x0_eps_hat", "check_eta"]
