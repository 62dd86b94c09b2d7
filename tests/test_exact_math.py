"""Exact math: closed forms the samplers must reproduce, with exact denoisers instead of a network.

With ε̂ = E[ε | x_t] known exactly (``ddim_ref.analytic``), every error left is the sampler's own
discretisation error, which these tests measure against closed forms.
"""
import numpy as np
import pytest

from ddim_ref import (
    alpha_bars,
    beta_schedule,
    ddim_step,
    ddpm_step,
    eps_from_v,
    eps_from_x0,
    invert,
    model_target,
    posterior_mean,
    posterior_mean_eps,
    posterior_variance,
    predict_x0_eps,
    q_sample,
    sample,
    sample_ddpm,
    timesteps,
    v_from_x0_eps,
    x0_from_eps,
    x0_from_v,
)
from ddim_ref.analytic import EmpiricalDenoiser, Gaussian, GaussianMixture, point_mass, probability_flow, toy_mixture

AB = alpha_bars(beta_schedule("linear", 1000))
GAUSS = Gaussian([0.5, -1.0], [[1.0, 0.6], [0.6, 0.5]])


def _levels(rng, n):
    """n random pairs ᾱ_t < ᾱ_prev < 1 of the linear schedule (any skip, not only consecutive)."""
    pairs = np.sort(rng.choice(1000, size=(n, 2), replace=True), axis=1)
    pairs = pairs[pairs[:, 0] != pairs[:, 1]]
    return [(AB[hi], AB[lo]) for lo, hi in pairs]


# ---------------------------------------------------------------- DDIM exactness and convergence
@pytest.mark.parametrize("spacing", ["leading", "trailing", "linspace", "quadratic"])
@pytest.mark.parametrize("S", [1, 2, 5, 50])
def test_point_mass_makes_ddim_exact_at_any_step_count(spacing, S):
    x0 = np.array([0.3, -0.7, 2.0])
    x_T = np.random.default_rng(S).standard_normal((16, 3))
    out = sample(point_mass(x0).model(AB), x_T, AB, timesteps(1000, S, spacing))
    assert np.max(np.abs(out - x0)) < 1e-12


def test_point_mass_ddim_state_follows_the_flow_exactly():
    """Each intermediate state is the exact flow x_t = √ᾱ x0 + √(1−ᾱ) ε with ε fixed by x_T (DDIM Eq. 14)."""
    x0 = np.array([1.5, -0.5])
    x_T = np.random.default_rng(0).standard_normal((8, 2))
    ts = timesteps(1000, 7, "linspace")
    traj = sample(point_mass(x0).model(AB), x_T, AB, ts, return_trajectory=True)
    eps = (x_T - AB[ts[0]] ** 0.5 * x0) / (1 - AB[ts[0]]) ** 0.5
    for x, a in zip(traj.x, traj.alpha_bar, strict=True):
        np.testing.assert_allclose(x, q_sample(x0, a, eps), rtol=0, atol=1e-12)


@pytest.mark.parametrize("spacing", ["trailing", "leading", "linspace", "quadratic"])
def test_gaussian_ddim_converges_to_the_flow_map_at_first_order(spacing):
    x_T = np.random.default_rng(0).standard_normal((256, 2))
    Ss = np.array([10, 20, 40, 80, 160])
    errs = []
    for S in Ss:
        ts = timesteps(1000, int(S), spacing)
        exact = GAUSS.flow_map(x_T, AB[ts[0]], 1.0)
        errs.append(np.max(np.abs(sample(GAUSS.model(AB), x_T, AB, ts) - exact)))
    slope = np.polyfit(np.log(Ss), np.log(errs), 1)[0]
    assert -1.15 <= slope <= -0.85, (slope, errs)
    assert np.all(np.diff(errs) < 0)


def test_gaussian_flow_map_composes_and_inverts():
    x = np.random.default_rng(1).standard_normal((32, 2))
    a, b, c = 0.01, 0.3, 0.9
    np.testing.assert_allclose(GAUSS.flow_map(GAUSS.flow_map(x, a, b), b, c), GAUSS.flow_map(x, a, c), atol=1e-12)
    np.testing.assert_allclose(GAUSS.flow_map(GAUSS.flow_map(x, a, c), c, a), x, atol=1e-12)


@pytest.mark.parametrize("direction", ["down", "up"])
def test_probability_flow_rk4_matches_the_gaussian_closed_form(direction):
    x = np.random.default_rng(2).standard_normal((64, 2))
    a0, a1 = (AB[800], 1.0) if direction == "down" else (0.999, AB[500])
    ref = GAUSS.flow_map(x, a0, a1)
    np.testing.assert_allclose(probability_flow(GAUSS.eps, x, a0, a1, num_steps=200), ref, rtol=0, atol=1e-6)


# ---------------------------------------------------------------- DDIM(η = 1) and σ̂ are DDPM steps
@pytest.mark.parametrize("prediction_type", ["epsilon", "sample", "v_prediction"])
def test_ddim_eta_1_equals_ddpm_small_variance_with_the_same_noise(prediction_type):
    rng = np.random.default_rng(3)
    for ab_t, ab_prev in _levels(rng, 20) + [(AB[0], 1.0)]:
        x, out, z = rng.standard_normal((3, 4, 5))
        ddim = ddim_step(x, out, ab_t, ab_prev, eta=1.0, noise=z, prediction_type=prediction_type)
        ddpm = ddpm_step(x, out, ab_t, ab_prev, noise=z, variance="small", prediction_type=prediction_type)
        np.testing.assert_allclose(ddim[0], ddpm[0], rtol=1e-12, atol=1e-12)
        np.testing.assert_array_equal(ddim[1], ddpm[1])


def test_sigma_hat_equals_ddpm_large_variance_with_the_same_noise():
    rng = np.random.default_rng(4)
    for ab_t, ab_prev in _levels(rng, 20):
        x, out, z = rng.standard_normal((3, 4, 5))
        hat = ddim_step(x, out, ab_t, ab_prev, noise=z, sigma_hat=True)[0]
        large = ddpm_step(x, out, ab_t, ab_prev, noise=z, variance="large")[0]
        np.testing.assert_allclose(hat, large, rtol=1e-12, atol=1e-12)
    # onto data (ᾱ_prev = 1) both add no noise, as DDPM's Algorithm 2 and the official DDIM code: x_0 = x0̂
    x, out, z = rng.standard_normal((3, 4, 5))
    hat, x0_hat = ddim_step(x, out, AB[300], 1.0, noise=z, sigma_hat=True)
    large = ddpm_step(x, out, AB[300], 1.0, noise=z, variance="large")[0]
    np.testing.assert_allclose(hat, large, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(hat, x0_hat, rtol=1e-12, atol=1e-12)


def test_ddim_step_noise_enters_with_sigma_not_eta():
    """x_prev(z) − x_prev(0) = σ_t(η) z with σ from Eq. 16 (a common slip scales z by η instead)."""
    rng = np.random.default_rng(5)
    x, out, z = rng.standard_normal((3, 6))
    ab_t, ab_prev = AB[600], AB[400]
    sigma = 0.5 * ((1 - ab_prev) / (1 - ab_t) * (1 - ab_t / ab_prev)) ** 0.5
    with_z = ddim_step(x, out, ab_t, ab_prev, eta=0.5, noise=z)[0]
    without = ddim_step(x, out, ab_t, ab_prev, eta=0.5, noise=0 * z)[0]
    np.testing.assert_allclose(with_z - without, sigma * z, rtol=1e-10)


# ---------------------------------------------------------------- parametrizations and the posterior
def test_eps_x0_v_conversions_round_trip():
    rng = np.random.default_rng(6)
    x0, eps = rng.standard_normal((2, 50, 3))
    a = rng.uniform(0.001, 0.999, size=(50, 1))
    x_t = q_sample(x0, a, eps)
    v = v_from_x0_eps(x0, eps, a)
    np.testing.assert_allclose(x0_from_eps(x_t, eps, a), x0, atol=1e-10)
    np.testing.assert_allclose(eps_from_x0(x_t, x0, a), eps, atol=1e-10)
    np.testing.assert_allclose(x0_from_v(x_t, v, a), x0, atol=1e-12)
    np.testing.assert_allclose(eps_from_v(x_t, v, a), eps, atol=1e-12)
    for prediction_type in ("epsilon", "sample", "v_prediction"):
        x0_hat, eps_hat = predict_x0_eps(x_t, model_target(x0, eps, a, prediction_type), a, prediction_type)
        np.testing.assert_allclose(x0_hat, x0, atol=1e-10)
        np.testing.assert_allclose(eps_hat, eps, atol=1e-10)


def test_posterior_mean_eps_form_equals_x0_form():
    rng = np.random.default_rng(7)
    for ab_t, ab_prev in _levels(rng, 20):
        x_t, x0 = rng.standard_normal((2, 8))
        eps = eps_from_x0(x_t, x0, ab_t)
        np.testing.assert_allclose(posterior_mean_eps(x_t, eps, ab_t, ab_prev), posterior_mean(x_t, x0, ab_t, ab_prev),
                                   rtol=1e-9, atol=1e-12)


def test_posterior_is_the_gaussian_conditional_of_the_forward_process():
    """q(x_prev | x_t, x0) from the joint of (x_prev, x_t) given x0: mean and variance by Gaussian conditioning."""
    rng = np.random.default_rng(8)
    for ab_t, ab_prev in _levels(rng, 10):
        x_t, x0 = rng.standard_normal(2)
        a = ab_t / ab_prev  # x_t = √a x_prev + √(1−a) noise, x_prev = √ᾱ_prev x0 + √(1−ᾱ_prev) noise
        cov_pt = a**0.5 * (1 - ab_prev)
        mean = ab_prev**0.5 * x0 + cov_pt / (1 - ab_t) * (x_t - ab_t**0.5 * x0)
        var = (1 - ab_prev) - cov_pt**2 / (1 - ab_t)
        assert posterior_mean(x_t, x0, ab_t, ab_prev) == pytest.approx(mean, rel=1e-10, abs=1e-13)
        assert posterior_variance(ab_t, ab_prev) == pytest.approx(var, rel=1e-8, abs=1e-15)


# ---------------------------------------------------------------- inversion
@pytest.mark.parametrize("eval_at", ["current", "next"])
@pytest.mark.parametrize("data", ["gaussian", "wide_ring"])
def test_invert_then_sample_returns_x0_with_first_order_shrinking_error(data, eval_at):
    dist = GAUSS if data == "gaussian" else toy_mixture("ring", std=0.4)
    x0 = dist.sample(64, np.random.default_rng(9))
    Ss, errs = np.array([10, 20, 40, 80, 160]), []
    for S in Ss:
        ts = timesteps(1000, int(S), "leading")
        x_T = invert(dist.model(AB), x0, AB, ts, eval_at=eval_at)
        errs.append(np.max(np.abs(sample(dist.model(AB), x_T, AB, ts) - x0)))
    assert np.all(np.diff(errs) < 0), errs
    assert -1.2 <= np.polyfit(np.log(Ss), np.log(errs), 1)[0] <= -0.8, errs


def test_invert_is_exact_for_a_point_mass():
    x0 = np.array([[0.4, -1.2]])
    ts = timesteps(1000, 8, "trailing")
    x_T = invert(point_mass(x0[0]).model(AB), x0 + 0 * x0, AB, ts)
    back = sample(point_mass(x0[0]).model(AB), x_T, AB, ts)
    np.testing.assert_allclose(back, x0, atol=1e-12)


# ---------------------------------------------------------------- the exact denoisers themselves
def test_mixture_eps_is_the_scaled_score_by_finite_differences():
    """ε̂ = −√(1−ᾱ) ∇ log p_t(x_t) (Tweedie), with ∇ by central differences of ``log_prob``."""
    covs = [[[0.3, 0.1], [0.1, 0.2]], [[0.5, 0.0], [0.0, 0.1]], [[0.05, 0.0], [0.0, 0.05]]]
    mix = GaussianMixture([[0, 0], [2, 1], [-1, 2]], covs, [0.5, 0.3, 0.2])
    x = np.random.default_rng(10).standard_normal((20, 2)) * 1.5
    h = 1e-5
    for a in (0.05, 0.5, 0.95):
        grad = np.stack([(mix.log_prob(x + h * e, a) - mix.log_prob(x - h * e, a)) / (2 * h) for e in np.eye(2)], -1)
        np.testing.assert_allclose(mix.eps(x, a), -(1 - a) ** 0.5 * grad, rtol=1e-6, atol=1e-7)


def test_mixture_eps_is_the_monte_carlo_posterior_mean_of_the_noise():
    """E[ε | x_t] by self-normalised importance sampling over x0 ~ p (weights N(x_t; √ᾱ x0, 1−ᾱ))."""
    mix = toy_mixture("two_moons")
    rng = np.random.default_rng(11)
    x0 = mix.sample(200_000, rng)
    for a in (0.2, 0.7):
        for x_t in rng.standard_normal((3, 2)):
            logw = -np.sum((x_t - a**0.5 * x0) ** 2, 1) / (2 * (1 - a))
            w = np.exp(logw - logw.max())
            eps = (x_t - a**0.5 * x0) / (1 - a) ** 0.5
            mc = w @ eps / w.sum()
            np.testing.assert_allclose(mix.eps(x_t[None], a)[0], mc, atol=0.03)


def test_empirical_denoiser_is_a_mixture_of_point_masses():
    pts = np.random.default_rng(12).standard_normal((30, 3))
    x = np.random.default_rng(13).standard_normal((10, 3))
    emp, mix = EmpiricalDenoiser(pts), GaussianMixture(pts, np.zeros(30))
    for a in (1e-3, 0.3, 0.9, 0.999):
        np.testing.assert_allclose(emp.eps(x, a), mix.eps(x, a), rtol=1e-8, atol=1e-10)


def test_sampling_a_mixture_with_its_exact_denoiser_reproduces_its_moments():
    mix = toy_mixture("ring")
    mean = mix.weights @ mix.means
    cov = np.einsum("k,kij->ij", mix.weights, mix.covs + np.einsum("ki,kj->kij", mix.means, mix.means)) - np.outer(
        mean, mean)
    rng = np.random.default_rng(14)
    x = sample(mix.model(AB), rng.standard_normal((4000, 2)), AB, timesteps(1000, 50, "trailing"))
    # Monte-Carlo standard errors here are about 0.02 (mean) and 0.04 (covariance)
    np.testing.assert_allclose(x.mean(0), mean, atol=0.08)
    np.testing.assert_allclose(np.cov(x.T), cov, atol=0.15)
    # and they sit on the modes: distance to the nearest centre has the Rayleigh median 0.15·√(2 ln 2) ≈ 0.18
    d = np.min(np.linalg.norm(x[:, None] - mix.means, axis=-1), axis=1)
    assert 0.12 < np.median(d) < 0.22


@pytest.mark.parametrize("spacing, S", [("leading", 250), ("linspace", 13)])
def test_ddim_eta_1_loop_is_the_ddpm_loop(spacing, S):
    """Over a whole sequence (every step, or a subsequence) with the same rng, DDIM(η = 1) = ancestral DDPM (β̃)."""
    ring = toy_mixture("ring")
    x_T = np.random.default_rng(15).standard_normal((32, 2))
    ts = timesteps(1000, S, spacing)
    ddim = sample(ring.model(AB), x_T, AB, ts, eta=1.0, rng=np.random.default_rng(16))
    ddpm = sample_ddpm(ring.model(AB), x_T, AB, ts, rng=np.random.default_rng(16))
    np.testing.assert_allclose(ddim, ddpm, rtol=1e-10, atol=1e-10)


def test_trajectories_record_the_model_timesteps_and_levels():
    ring, calls = toy_mixture("ring"), []
    model = ring.model(AB)
    x0 = ring.sample(4, np.random.default_rng(17))
    ts = timesteps(1000, 5, "linspace")
    traj = sample(lambda x, t: calls.append(t) or model(x, t), x0, AB, ts, return_trajectory=True)
    assert calls == traj.timesteps.tolist() == ts.tolist()
    np.testing.assert_array_equal(traj.alpha_bar, np.append(AB[ts], 1.0))
    assert traj.x.shape == (6, 4, 2) and traj.x0_hat.shape == (5, 4, 2) and np.array_equal(traj.x[0], x0)
    for eval_at, labels in (("current", [0, 0, 250, 500, 749]), ("next", [0, 250, 500, 749, 999])):
        calls.clear()
        up = invert(lambda x, t: calls.append(t) or model(x, t), x0, AB, ts, eval_at=eval_at, return_trajectory=True)
        assert calls == up.timesteps.tolist() == labels
        np.testing.assert_array_equal(up.alpha_bar, np.append(1.0, AB[ts[::-1]]))


def test_gaussian_eps_is_the_closed_form_and_its_samples_have_its_moments():
    """One Gaussian: E[ε | x_t] = √(1−ᾱ) (ᾱΣ + (1−ᾱ)I)⁻¹ (x_t − √ᾱ μ); samples have mean μ and covariance Σ."""
    x_t = np.random.default_rng(18).standard_normal((5, 2))
    for a in (0.01, 0.3, 0.99):
        C = a * GAUSS.cov + (1 - a) * np.eye(2)
        closed_form = (1 - a) ** 0.5 * np.linalg.solve(C, (x_t - a**0.5 * GAUSS.mean).T).T
        np.testing.assert_allclose(GAUSS.eps(x_t, a), closed_form, rtol=1e-12)
    x = GAUSS.sample(100_000, np.random.default_rng(19))  # standard errors ≈ 0.003
    np.testing.assert_allclose(x.mean(0), GAUSS.mean, atol=0.015)
    np.testing.assert_allclose(np.cov(x.T), GAUSS.cov, atol=0.02)


def test_mixture_log_prob_is_a_normalised_density():
    covs = [[[0.3, 0.1], [0.1, 0.2]], [[0.5, 0.0], [0.0, 0.1]], [[0.05, 0.0], [0.0, 0.05]]]
    mix = GaussianMixture([[0, 0], [2, 1], [-1, 2]], covs, [0.5, 0.3, 0.2])
    u = np.linspace(-6, 6, 401)
    grid = np.stack(np.meshgrid(u, u), -1)
    for a in (1.0, 0.5, 0.01):
        assert np.exp(mix.log_prob(grid, a)).sum() * (u[1] - u[0]) ** 2 == pytest.approx(1, abs=1e-6)
