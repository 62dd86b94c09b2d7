"""What DDIM is used for: interpolation, editing (SDEdit) and restoration (inpainting, denoising).

Inversion itself is :func:`ddim_ref.invert`; everything here reuses the core step, loop and forward process.
Notation (ᾱ is DDPM's; the DDIM paper writes α):

    x_t = √ᾱ_t x0 + √(1−ᾱ_t) ε                        forward marginal q(x_t | x0)        (DDPM Eq. 4)
    x_t = √(ᾱ_t/ᾱ_s) x_s + √(1 − ᾱ_t/ᾱ_s) z,  s < t   forward transition q(x_t | x_s)     (DDPM Eq. 2)
    slerp(z0, z1; α) = sin((1−α)θ)/sin θ z0 + sin(αθ)/sin θ z1,  cos θ = ⟨z0, z1⟩/‖z0‖‖z1‖  (Shoemake 1985)
    m                mask, 1 on known entries, 0 on the entries to fill
    strength         fraction of τ that SDEdit runs: it starts at τ_{S−n}, n = max(1, round(strength·S))

Written with arithmetic, ``** 0.5`` and the few calls in ``_backend``, so each function also runs
on torch tensors (pass the torch mirror's rng adapter as ``rng``). :func:`conditional` gives the
exact answer inpainting should reach on a Gaussian mixture.
"""
from __future__ import annotations

import numpy as np

from ._backend import is_torch, namespace, standard_normal
from ._checks import check_int, check_number
from .analytic import GaussianMixture
from .parametrization import q_sample
from .samplers import RUN_KEYWORDS, SAMPLERS, check_alpha_bars, collect, sampling_run
from .schedules import alpha_bar_from_sigma, check_timesteps


# ---------------------------------------------------------------- checks
def _shape(x):
    return tuple(x.shape)


def _check_same_shape(a, b, name_a, name_b):
    if _shape(a) != _shape(b):
        raise ValueError(f"{name_a} shape {_shape(a)} does not match {name_b} shape {_shape(b)}")


def _check_unit(value, name, lo_open):
    """A finite float in (0, 1] (``lo_open``) or [0, 1]."""
    return check_number(name, value, 0, 1, lo_open=lo_open)


def _check_mask(mask, x):
    """The mask as a boolean array/tensor like ``x``, after checking its shape and its {0, 1} values."""
    xp = namespace(x)
    mask = xp.as_tensor(mask, device=x.device) if is_torch(x) else np.asarray(mask)
    try:
        broadcast = np.broadcast_shapes(_shape(mask), _shape(x))
    except ValueError:
        broadcast = None
    if broadcast != _shape(x):
        raise ValueError(f"mask shape {_shape(mask)} must equal or broadcast to x_known shape {_shape(x)}")
    if not bool(((mask == 0) | (mask == 1)).all()):
        raise ValueError("mask values must be 0 (entry to fill) or 1 (known entry)")
    return mask == 1


def _check_rng(rng, who):
    if rng is None:
        raise ValueError(f"{who} draws noise: pass rng=np.random.default_rng(seed) (a torch.Generator for tensors)")


# ---------------------------------------------------------------- interpolation
def slerp(z0, z1, alpha):
    """Spherical interpolation between two batches of x_T, angle per sample (DDIM paper Sec. 5.3, App. D.5).

    ``z0``, ``z1`` have shape (B, ...); ``alpha`` in [0, 1]. Equal-norm endpoints keep their norm
    all along the path, where linear interpolation would shrink it (to ≈ √½ midway for
    independent Gaussians, a level the model never saw at ᾱ ≈ 0).
    """
    _check_same_shape(z0, z1, "z0", "z1")
    alpha = _check_unit(alpha, "alpha", lo_open=False)
    if len(_shape(z0)) < 2:
        raise ValueError(f"slerp takes batches of shape (B, ...) with at least 2 axes, got {_shape(z0)}")
    xp = namespace(z0)
    b = z0.shape[0]
    extra = (1,) * (z0.ndim - 1)
    flat0, flat1 = z0.reshape(b, -1), z1.reshape(b, -1)
    norms = ((flat0**2).sum(1) * (flat1**2).sum(1)) ** 0.5
    if not bool((norms > 0).all()):
        raise ValueError("slerp needs non-zero endpoints (the angle to a zero vector is undefined)")
    theta = xp.arccos(((flat0 * flat1).sum(1) / norms).clip(-1, 1))
    sin_theta = xp.sin(theta)
    small = sin_theta < 1e-6  # (anti)parallel endpoints: the great circle is undefined; fall back to lerp
    safe = xp.where(small, 1.0, sin_theta)
    w0 = xp.where(small, 1 - alpha, xp.sin((1 - alpha) * theta) / safe).reshape((b,) + extra)
    w1 = xp.where(small, alpha, xp.sin(alpha * theta) / safe).reshape((b,) + extra)
    return w0 * z0 + w1 * z1


def lerp(z0, z1, alpha):
    """Linear interpolation (1−α) z0 + α z1: the baseline slerp replaces (its norm sags in the middle)."""
    _check_same_shape(z0, z1, "z0", "z1")
    alpha = _check_unit(alpha, "alpha", lo_open=False)
    return (1 - alpha) * z0 + alpha * z1


# ---------------------------------------------------------------- editing
def truncate_timesteps(timesteps, strength):
    """The last n = max(1, round(strength·S)) elements of τ: where SDEdit starts.

    diffusers' img2img truncates instead (n = int(strength·S), which can be 0 steps); rounding with at
    least one step keeps every strength in (0, 1] a real edit.
    """
    strength = _check_unit(strength, "strength", lo_open=True)
    ts = np.asarray(timesteps)
    if ts.ndim != 1 or ts.size == 0:
        raise ValueError(f"timesteps must be a non-empty 1-D sequence, got shape {ts.shape}")
    n = max(1, round(strength * len(ts)))
    return ts[len(ts) - n:]


def sdedit(model, x_guide, strength, alpha_bars, timesteps, *, sampler="ddim", rng=None, **kwargs):
    """SDEdit (Meng et al. 2022, Alg. 1): noise the guide to ᾱ[τ_start] with q(x_t | x0), then denoise.

    τ_start is the first element of ``truncate_timesteps(timesteps, strength)``; small ``strength``
    stays close to the guide, ``strength`` = 1 starts from (almost) pure noise. The reverse pass is
    the registered ``sampler`` with the contract's keywords and its own options (DDIM's ``eta``
    defaults to 0, as in :func:`ddim_ref.sample`; SDEdit's paper runs the stochastic η = 1).
    """
    _check_rng(rng, "sdedit")
    ab = check_alpha_bars(alpha_bars)
    ts = check_timesteps(truncate_timesteps(timesteps, strength), len(ab))
    x_t = q_sample(x_guide, float(ab[ts[0]]), standard_normal(rng, x_guide))
    return SAMPLERS[sampler](model, x_t, ab, ts, rng=rng, **kwargs)


# ---------------------------------------------------------------- restoration
def replace_known(x, x_known, mask, alpha_bar, noise):
    """The replacement step: known entries ← √ᾱ x_known + √(1−ᾱ) ε (DDPM Eq. 4), the rest kept from ``x``."""
    return namespace(x).where(mask, q_sample(x_known, alpha_bar, noise), x)


def renoise(x_prev, alpha_bar_t, alpha_bar_prev, noise):
    """One forward transition back up a step: √(ᾱ_t/ᾱ_prev) x_prev + √(1−ᾱ_t/ᾱ_prev) z (DDPM Eq. 2)."""
    return q_sample(x_prev, alpha_bar_t / alpha_bar_prev, noise)


def inpaint(model, x_known, mask, alpha_bars, timesteps, *, sampler="ddim", resample=1, x_T=None, rng=None,
            callback=None, return_trajectory=False, **kwargs):
    """Fill the entries where ``mask`` = 0; RePaint (Lugmayr et al. 2022, Alg. 1) with jump length 1.

    Each step τ_i → τ_{i+1} (levels ᾱ_t → ᾱ_prev) runs, ``resample`` times:

        x_prev[unknown] = the sampler's step from x_t                          (DDIM Eq. 12 for "ddim")
        x_prev[known]   = √ᾱ_prev x_known + √(1−ᾱ_prev) ε                      (DDPM Eq. 4)
        x_t             = √(ᾱ_t/ᾱ_prev) x_prev + √(1−ᾱ_t/ᾱ_prev) z              (DDPM Eq. 2; not after the last pass)

    ``resample`` = 1 is the replacement method (Song et al. 2021b, App. I.2); larger values go back
    up one step with the forward transition and redo it, which lets the unknown entries adapt to
    the known ones (no resampling on the final step, as in RePaint). ``sampler`` is any registered
    sampler with the contract's keywords (DDIM's ``eta`` defaults to 0; RePaint's paper runs DDPM,
    η = 1); resampling redoes single steps, so it needs a sampler without history.
    """
    mask = _check_mask(mask, x_known)
    resample = check_int("resample", resample, 1, hint="(1 = plain replacement)")
    _check_rng(rng, "inpaint")
    chosen = SAMPLERS[sampler]
    if resample > 1 and chosen.multistep:
        raise ValueError(f"resample > 1 redoes single steps, which {sampler} (a multistep method) cannot; "
                         "use resample=1 or a one-step sampler such as ddim")
    x_T = standard_normal(rng, x_known) if x_T is None else x_T
    _check_same_shape(x_T, x_known, "x_T", "x_known")
    common = {k: kwargs.pop(k) for k in RUN_KEYWORDS if k in kwargs} | {"rng": rng}
    run = sampling_run(alpha_bars, timesteps, **common)

    def process(x, ts):
        return chosen.process(model, x, alpha_bars, ts, **common, **kwargs)

    def steps():
        loop = process(x_T, run.timesteps)
        record = next(loop)
        while True:
            x_prev = replace_known(record.x, x_known, mask, record.alpha_bar, standard_normal(rng, x_known))
            for _ in range(resample - 1 if record.i + 1 < len(run.timesteps) else 0):
                x_t = renoise(x_prev, *run.levels_at(record.i), standard_normal(rng, x_prev))
                redone = next(process(x_t, run.timesteps[record.i:]))  # the same step, from the re-noised x_t
                x_prev = replace_known(redone.x, x_known, mask, record.alpha_bar, standard_normal(rng, x_known))
            yield record._replace(x=x_prev)
            try:
                record = loop.send(x_prev)  # the next step starts from the replaced state
            except StopIteration:
                return

    return collect(steps(), x_T, run, callback, return_trajectory)


def matching_timestep(alpha_bars, noise_std):
    """The smallest t whose noise level covers y = x0 + noise_std·n: (1−ᾱ_t)/ᾱ_t ≥ noise_std²."""
    noise_std = check_number("noise_std", noise_std, 0, lo_open=True)
    ab = np.asarray(alpha_bars, dtype=np.float64)
    target = float(alpha_bar_from_sigma(noise_std))  # ᾱ* = 1/(1 + noise_std²)
    covered = np.flatnonzero(ab <= target)
    if covered.size == 0:
        raise ValueError(f"noise_std = {noise_std} exceeds the schedule's largest noise level "
                         f"sqrt((1 - alpha_bar)/alpha_bar) = {((1 - ab[-1]) / ab[-1]) ** 0.5:.4g}")
    return int(covered[0])


def denoise(model, y, noise_std, alpha_bars, timesteps, *, sampler="ddim", rng=None, **kwargs):
    """Denoise y = x0 + noise_std·n by entering the reverse process at its level (Kadkhodaie & Simoncelli 2021).

    With t* = ``matching_timestep``, √ᾱ_t* y carries noise variance ᾱ_t* noise_std² ≤ 1 − ᾱ_t*; the
    rest is topped up with fresh noise so that x_t* has exactly the marginal of q(x_t* | x0):

        x_t* = √ᾱ_t* y + √(1 − ᾱ_t* (1 + noise_std²)) z

    then the registered ``sampler`` runs over t* followed by the elements of τ below t*, with the
    contract's keywords and its own options (DDIM's ``eta`` defaults to 0).
    """
    ab = check_alpha_bars(alpha_bars)
    t_star = matching_timestep(ab, noise_std)
    ts = check_timesteps(timesteps, len(ab))
    ts = np.concatenate([[t_star], ts[ts < t_star]]).astype(np.int64)
    top_up = 1 - ab[t_star] * (1 + noise_std**2)
    x_t = ab[t_star] ** 0.5 * y
    if top_up > 1e-12:
        _check_rng(rng, "denoise (topping the noise up to the level of timestep t*)")
        x_t = x_t + top_up**0.5 * standard_normal(rng, y)
    return SAMPLERS[sampler](model, x_t, ab, ts, rng=rng, **kwargs)


# ---------------------------------------------------------------- exact answers
def conditional(mixture: GaussianMixture, x_known, mask) -> GaussianMixture:
    """p(x_U | x_K) of a Gaussian mixture: a mixture over the unknown coordinates U (Bishop 2006, Eqs. 2.81–2.82).

    Per component k:  μ_U + Σ_UK Σ_KK⁻¹ (x_K − μ_K),  Σ_UU − Σ_UK Σ_KK⁻¹ Σ_KU,  weight ∝ w_k N(x_K; μ_K, Σ_KK).
    ``x_known`` has shape (d,) (entries outside K are ignored); ``mask`` (d,) is 1 on K.
    """
    d = mixture.dim
    x = np.asarray(x_known, dtype=np.float64)
    if x.shape != (d,):
        raise ValueError(f"x_known must have shape ({d},), got {x.shape}")
    known = _check_mask(mask, x)
    if known.all() or not known.any():
        raise ValueError("mask must mark at least one known and one unknown coordinate")
    K, U = np.flatnonzero(known), np.flatnonzero(~known)
    mu_k, mu_u = mixture.means[:, K], mixture.means[:, U]
    s_kk = mixture.covs[:, K][:, :, K]
    s_uk = mixture.covs[:, U][:, :, K]
    s_uu = mixture.covs[:, U][:, :, U]
    sign, logdet = np.linalg.slogdet(s_kk)
    if np.any(sign <= 0):
        raise ValueError("the known coordinates' covariance is singular in some component: no density to condition on")
    diff = x[K] - mu_k                                            # (n, |K|)
    sol = np.linalg.solve(s_kk, diff[..., None])[..., 0]          # Σ_KK⁻¹ (x_K − μ_K)
    gain = np.linalg.solve(s_kk, np.swapaxes(s_uk, 1, 2))         # Σ_KK⁻¹ Σ_KU
    log_w = (np.log(np.where(mixture.weights > 0, mixture.weights, 1e-300)) - 0.5 * logdet
             - 0.5 * np.sum(diff * sol, axis=1))
    w = np.exp(log_w - log_w.max())
    means = mu_u + np.einsum("nuk,nk->nu", s_uk, sol)
    covs = s_uu - s_uk @ gain
    return GaussianMixture(means, (covs + np.swapaxes(covs, 1, 2)) / 2, w / w.sum())


def mixture_moments(mixture: GaussianMixture):
    """Mean and covariance of Σ_k w_k N(μ_k, Σ_k): Σ w_k μ_k and Σ w_k (Σ_k + μ_k μ_kᵀ) − μ μᵀ."""
    w, mu = mixture.weights, mixture.means
    mean = w @ mu
    second = np.einsum("k,kij->ij", w, mixture.covs + mu[:, :, None] * mu[:, None, :])
    return mean, second - np.outer(mean, mean)


__all__ = ["slerp", "lerp", "truncate_timesteps", "sdedit", "inpaint", "matching_timestep", "denoise", "conditional",
           "mixture_moments"]
