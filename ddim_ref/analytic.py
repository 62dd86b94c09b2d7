"""Exact denoisers: data distributions whose E[ε | x_t] is known in closed form.

With an exact ε̂ every error a sampler makes is discretisation error, measurable against the
exact probability-flow map. Notation (ᾱ as in DDPM; the DDIM paper's α):

    x_t = √ᾱ x0 + √(1−ᾱ) ε,    x0 ~ Σ_k w_k N(μ_k, Σ_k)
    C_k = ᾱ Σ_k + (1−ᾱ) I                  covariance of x_t given component k
    E[ε | x_t, k] = √(1−ᾱ) C_k⁻¹ (x_t − √ᾱ μ_k)
    E[ε | x_t] = Σ_k r_k(x_t) E[ε | x_t, k],  r_k ∝ w_k N(x_t; √ᾱ μ_k, C_k)

The probability-flow ODE (DDIM paper Eq. 14) in x̄ = x/√ᾱ and σ = √(1−ᾱ)/√ᾱ reads
dx̄/dσ = E[ε | x_t]; for one Gaussian its solution is x̄(σ₁) − μ = (Σ+σ₁²I)^½ (Σ+σ₀²I)^−½ (x̄(σ₀) − μ).

Points have shape (..., d). Every class exposes ``eps(x_t, alpha_bar)`` and
``model(alpha_bars)``, the ``model(x_t, t)`` callable the samplers take.
"""
from __future__ import annotations

from itertools import pairwise

import numpy as np

from .schedules import alpha_bar_from_sigma, sigma_from_alpha_bar


def _logsumexp(a, axis):
    m = np.max(a, axis=axis, keepdims=True)
    return (m + np.log(np.sum(np.exp(a - m), axis=axis, keepdims=True))).squeeze(axis)


class _Denoiser:
    """Shared: the ``model(x_t, t)`` adapter and E[x0 | x_t]."""

    def eps(self, x_t, alpha_bar):  # pragma: no cover - abstract
        raise NotImplementedError

    def score(self, x_t, alpha_bar):
        """∇_x log p_t(x_t) = −E[ε | x_t] / √(1−ᾱ) (Tweedie; the DDIM paper's ε̂ is −√(1−ᾱ) × the score)."""
        alpha_bar = float(alpha_bar)
        if alpha_bar >= 1:
            raise ValueError("the score is taken at a noise level alpha_bar < 1")
        return -self.eps(x_t, alpha_bar) / (1 - alpha_bar) ** 0.5

    def x0_mean(self, x_t, alpha_bar):
        """E[x0 | x_t] = (x_t − √(1−ᾱ) E[ε | x_t]) / √ᾱ (Tweedie)."""
        return (x_t - (1 - alpha_bar) ** 0.5 * self.eps(x_t, alpha_bar)) / alpha_bar**0.5

    def model(self, alpha_bars):
        """The exact ε-prediction network ``model(x_t, t) = E[ε | x_t]`` at ᾱ = alpha_bars[t]."""
        alpha_bars = np.asarray(alpha_bars, dtype=np.float64)
        return lambda x_t, t: self.eps(x_t, float(alpha_bars[t]))


class GaussianMixture(_Denoiser):
    """Σ_k w_k N(μ_k, Σ_k) in d dimensions, with exact E[ε | x_t] at every noise level.

    ``covs`` may be (K, d, d), (K, d) diagonal or (K,) isotropic variances; zero is allowed
    (point masses). ``labels`` (K integers) assigns each component a class c: then
    :meth:`conditional` is p(x | c) and :meth:`grad_log_class_prob` the exact ∇_x log p_t(c | x_t).
    """

    def __init__(self, means, covs, weights=None, labels=None):
        self.means = np.atleast_2d(np.asarray(means, dtype=np.float64))
        K, d = self.means.shape
        covs = np.asarray(covs, dtype=np.float64)
        if covs.shape == (K,):
            covs = covs[:, None, None] * np.eye(d)
        elif covs.shape == (K, d):
            covs = covs[:, :, None] * np.eye(d)
        if covs.shape != (K, d, d):
            raise ValueError(f"covs must have shape ({K}, {d}, {d}), ({K}, {d}) or ({K},), got {covs.shape}")
        if not np.allclose(covs, np.swapaxes(covs, 1, 2)):
            raise ValueError("covariance matrices must be symmetric")
        weights = np.full(K, 1.0 / K) if weights is None else np.asarray(weights, dtype=np.float64)
        if weights.shape != (K,) or np.any(weights < 0) or not np.isclose(weights.sum(), 1.0):
            raise ValueError(f"weights must be {K} non-negative numbers summing to 1")
        self.covs, self.weights = covs, weights
        self.labels = None if labels is None else np.asarray(labels)
        if self.labels is not None and (self.labels.shape != (K,) or not np.issubdtype(self.labels.dtype, np.integer)):
            raise ValueError(f"labels must be {K} integers, one class per component, got {labels!r}")
        self.eigvals, self.eigvecs = np.linalg.eigh(covs)  # Σ_k = U diag(λ) Uᵀ
        if np.any(self.eigvals < -1e-12):
            raise ValueError("covariance matrices must be positive semi-definite")
        self.eigvals = self.eigvals.clip(0, None)

    @property
    def dim(self) -> int:
        return self.means.shape[1]

    def sample(self, n: int, rng: np.random.Generator) -> np.ndarray:
        """n exact samples, shape (n, d)."""
        k = rng.choice(len(self.weights), size=n, p=self.weights)
        z = rng.standard_normal((n, self.dim))
        scale = self.eigvecs * self.eigvals[:, None, :] ** 0.5  # U diag(√λ)
        return self.means[k] + np.einsum("nij,nj->ni", scale[k], z)

    def _check_x(self, x):
        x = np.asarray(x, dtype=np.float64)
        if x.shape[-1] != self.dim:
            raise ValueError(f"points must have last dimension {self.dim}, got shape {x.shape}")
        return x

    def _components(self, x, alpha_bar):
        """Per component: log r_k (unnormalised) and E[ε | x_t, k]; shapes (..., K) and (..., K, d)."""
        lam = alpha_bar * self.eigvals + (1 - alpha_bar)  # eigenvalues of C_k, (K, d)
        diff = x[..., None, :] - alpha_bar**0.5 * self.means  # (..., K, d)
        proj = np.einsum("kji,...kj->...ki", self.eigvecs, diff, optimize=True)  # Uᵀ (x − √ᾱ μ)
        sol = np.einsum("kij,...kj->...ki", self.eigvecs, proj / lam, optimize=True)  # C⁻¹ (x − √ᾱ μ)
        log_r = (np.log(np.where(self.weights > 0, self.weights, 1e-300)) - 0.5 * np.log(lam).sum(-1)
                 - 0.5 * np.sum(proj**2 / lam, axis=-1))
        return log_r, (1 - alpha_bar) ** 0.5 * sol

    def eps(self, x_t, alpha_bar):
        """E[ε | x_t] at noise level ᾱ (exact). Zero at ᾱ = 1, where x_t is data."""
        x = self._check_x(x_t)
        alpha_bar = float(alpha_bar)
        if not 0 <= alpha_bar <= 1:
            raise ValueError(f"alpha_bar must lie in [0, 1], got {alpha_bar}")
        if alpha_bar == 1:
            return np.zeros_like(x)
        log_r, eps_k = self._components(x, alpha_bar)
        r = np.exp(log_r - _logsumexp(log_r, -1)[..., None])
        return np.einsum("...k,...kd->...d", r, eps_k, optimize=True)

    def log_prob(self, x, alpha_bar=1.0):
        """log density of x_t at level ᾱ (of the data itself at ᾱ = 1, if all Σ_k are non-singular)."""
        x = self._check_x(x)
        log_r, _ = self._components(x, float(alpha_bar))
        return _logsumexp(log_r, -1) - 0.5 * self.dim * np.log(2 * np.pi)

    # ------------------------------------------------------------ labelled mixtures
    @property
    def classes(self) -> np.ndarray:
        """The distinct class labels, sorted."""
        return np.unique(self._check_labelled())

    def _check_labelled(self):
        if self.labels is None:
            raise ValueError("this mixture has no labels: pass labels=(one class per component)")
        return self.labels

    def _members(self, label):
        members = self._check_labelled() == label
        if not members.any():
            raise ValueError(f"no component has label {label!r}; labels are {sorted(set(self.labels.tolist()))}")
        return members

    def class_prior(self, label) -> float:
        """p(c): the weight of the class's components."""
        return float(self.weights[self._members(label)].sum())

    def conditional(self, label) -> GaussianMixture:
        """p(x | c): the class's components with their weights renormalised (itself a labelled mixture)."""
        members = self._members(label)
        w = self.weights[members]
        return GaussianMixture(self.means[members], self.covs[members], w / w.sum(), self.labels[members])

    def class_log_prob(self, x_t, alpha_bar, label):
        """log p_t(c | x_t) = log Σ_{k∈c} r_k(x_t) − log Σ_k r_k(x_t) (exact, at level ᾱ)."""
        x = self._check_x(x_t)
        log_r, _ = self._components(x, float(alpha_bar))
        return _logsumexp(np.where(self._members(label), log_r, -np.inf), -1) - _logsumexp(log_r, -1)

    def grad_log_class_prob(self, x_t, alpha_bar, label):
        """∇_x log p_t(c | x_t) = ∇ log p_t(x | c) − ∇ log p_t(x) = (E[ε | x_t] − E[ε | x_t, c]) / √(1−ᾱ)."""
        alpha_bar = float(alpha_bar)
        if alpha_bar >= 1:
            raise ValueError("the class gradient is taken at a noise level alpha_bar < 1")
        return (self.eps(x_t, alpha_bar) - self.conditional(label).eps(x_t, alpha_bar)) / (1 - alpha_bar) ** 0.5

    def classifier(self, alpha_bars, label):
        """The exact ``grad_log_prob(x_t, t)`` for :func:`ddim_ref.guidance.classifier_guidance`."""
        alpha_bars = np.asarray(alpha_bars, dtype=np.float64)
        return lambda x_t, t: self.grad_log_class_prob(x_t, float(alpha_bars[t]), label)


class Gaussian(GaussianMixture):
    """N(μ, Σ): a one-component mixture with the closed-form probability-flow map."""

    def __init__(self, mean, cov):
        mean = np.atleast_1d(np.asarray(mean, dtype=np.float64))
        cov = np.asarray(cov, dtype=np.float64)
        cov = cov * np.eye(len(mean)) if cov.ndim == 0 else cov
        super().__init__(mean[None], cov[None])
        self.mean, self.cov = mean, self.covs[0]

    def flow_map(self, x, alpha_bar_from, alpha_bar_to):
        """The exact probability-flow ODE solution from level ᾱ_from to ᾱ_to (either direction).

        x̄ = x/√ᾱ, σ = √(1−ᾱ)/√ᾱ:  x̄₁ − μ = U diag(√((λ+σ₁²)/(λ+σ₀²))) Uᵀ (x̄₀ − μ).
        """
        x = self._check_x(x)
        s0, s1 = sigma_from_alpha_bar(alpha_bar_from), sigma_from_alpha_bar(alpha_bar_to)
        lam, U = self.eigvals[0], self.eigvecs[0]
        xbar = x / alpha_bar_from**0.5 - self.mean
        gain = ((lam + s1**2) / (lam + s0**2)) ** 0.5
        return alpha_bar_to**0.5 * (self.mean + ((xbar @ U) * gain) @ U.T)


def point_mass(x0) -> Gaussian:
    """All data at one point: E[ε | x_t] = (x_t − √ᾱ x0)/√(1−ᾱ), and DDIM (η = 0) is exact at any S."""
    x0 = np.atleast_1d(np.asarray(x0, dtype=np.float64))
    return Gaussian(x0, np.zeros((len(x0), len(x0))))


class EmpiricalDenoiser(_Denoiser):
    """The ideal denoiser of a finite data set {x_i}: E[x0 | x_t] = Σ_i softmax_i(−‖x_t − √ᾱ x_i‖²/2(1−ᾱ)) x_i.

    What a network would converge to if it memorised its training set (Karras et al. 2022, Sec. 3).
    Data may be any shape (N, *shape); x_t is (B, *shape).
    """

    def __init__(self, data):
        self.data = np.asarray(data, dtype=np.float64)
        self._flat = self.data.reshape(len(self.data), -1)
        self._sq = np.sum(self._flat**2, axis=1)

    def eps(self, x_t, alpha_bar):
        x = np.asarray(x_t, dtype=np.float64)
        if x.shape[1:] != self.data.shape[1:]:
            raise ValueError(f"x_t must have shape (B, {', '.join(map(str, self.data.shape[1:]))}), got {x.shape}")
        alpha_bar = float(alpha_bar)
        if alpha_bar >= 1:
            return np.zeros_like(x)
        flat = x.reshape(len(x), -1)
        d2 = np.sum(flat**2, 1)[:, None] - 2 * alpha_bar**0.5 * flat @ self._flat.T + alpha_bar * self._sq
        logits = -d2 / (2 * (1 - alpha_bar))
        w = np.exp(logits - logits.max(1, keepdims=True))
        x0 = (w / w.sum(1, keepdims=True)) @ self._flat
        return ((flat - alpha_bar**0.5 * x0) / (1 - alpha_bar) ** 0.5).reshape(x.shape)


def probability_flow(eps, x, alpha_bar_from, alpha_bar_to, num_steps=1000):
    """Solve the probability-flow ODE dx̄/dσ = ε(x̄√ᾱ, ᾱ) with RK4 in σ, geometric grid of ``num_steps``.

    ``eps(x_t, alpha_bar)`` is an exact denoiser's ``eps``; this is the reference "exact" map for
    mixtures, where no closed form exists. ᾱ = 1 (σ = 0) endpoints are fine.
    """
    s0, s1 = float(sigma_from_alpha_bar(alpha_bar_from)), float(sigma_from_alpha_bar(alpha_bar_to))
    lo = max(min(s0, s1), 1e-4)
    grid = np.geomspace(max(s0, lo), max(s1, lo), num_steps + 1)
    grid[0], grid[-1] = s0, s1

    def f(xbar, s):
        ab = float(alpha_bar_from_sigma(s))
        return eps(xbar * ab**0.5, ab)

    xbar = np.asarray(x, dtype=np.float64) / float(alpha_bar_from) ** 0.5
    for a, b in pairwise(grid):
        h = b - a
        k1 = f(xbar, a)
        k2 = f(xbar + h / 2 * k1, a + h / 2)
        k3 = f(xbar + h / 2 * k2, a + h / 2)
        k4 = f(xbar + h * k3, b)
        xbar = xbar + h / 6 * (k1 + 2 * k2 + 2 * k3 + k4)
    return xbar * float(alpha_bar_to) ** 0.5


# ---------------------------------------------------------------- named 2-D toy mixtures
def _mixture_on_curve(points, std, labels=None):
    return GaussianMixture(points, np.full(len(points), std**2), labels=labels)


def ring(num_modes: int = 8, radius: float = 2.0, std: float = 0.15, num_classes: int | None = None) -> GaussianMixture:
    """``num_modes`` equal Gaussians evenly spaced on a circle; ``num_classes`` labels them c = k mod num_classes."""
    a = 2 * np.pi * np.arange(num_modes) / num_modes
    labels = None if num_classes is None else np.arange(num_modes) % num_classes
    return _mixture_on_curve(radius * np.stack([np.cos(a), np.sin(a)], 1), std, labels)


def two_moons(num_modes: int = 16, std: float = 0.12) -> GaussianMixture:
    """Two interleaved half-circles, each covered by ``num_modes/2`` Gaussians, centred near 0."""
    a = np.linspace(0, np.pi, num_modes // 2)
    upper = np.stack([np.cos(a), np.sin(a)], 1)
    lower = np.stack([1 - np.cos(a), 0.5 - np.sin(a)], 1)
    return _mixture_on_curve(1.5 * (np.concatenate([upper, lower]) - [0.5, 0.25]), std)


def swiss_roll(num_modes: int = 20, std: float = 0.12) -> GaussianMixture:
    """A 2-D spiral (the swiss roll's cross-section) covered by ``num_modes`` Gaussians."""
    a = np.linspace(1.5 * np.pi, 4.5 * np.pi, num_modes)
    pts = np.stack([a * np.cos(a), a * np.sin(a)], 1) / (4.5 * np.pi) * 2.2
    return _mixture_on_curve(pts, std)


TOY_MIXTURES = {"ring": ring, "two_moons": two_moons, "swiss_roll": swiss_roll}


def toy_mixture(name: str, **params) -> GaussianMixture:
    """A named 2-D toy mixture: ``"ring"``, ``"two_moons"`` or ``"swiss_roll"``."""
    if name not in TOY_MIXTURES:
        raise ValueError(f"unknown toy mixture {name!r}; choose one of {', '.join(TOY_MIXTURES)}")
    return TOY_MIXTURES[name](**params)
