"""Applications against exact answers: slerp geometry, inversion round trips, inpainting vs the exact conditional."""
import numpy as np
import pytest

import ddim_ref as dr
from ddim_ref import applications as ap
from ddim_ref.analytic import Gaussian, GaussianMixture, point_mass

ALPHA_BARS = dr.alpha_bars(dr.beta_schedule("linear", 1000))
CORRELATED = Gaussian([0.0, 0.0], [[1.0, 0.9], [0.9, 1.0]])


# ---------------------------------------------------------------- slerp
def test_slerp_hits_endpoints_and_keeps_equal_norms():
    rng = np.random.default_rng(0)
    z0, z1 = rng.standard_normal((2, 5, 3, 4))
    z1 = z1 * (np.linalg.norm(z0.reshape(5, -1), axis=1) / np.linalg.norm(z1.reshape(5, -1), axis=1))[:, None, None]
    np.testing.assert_allclose(ap.slerp(z0, z1, 0.0), z0, atol=1e-12)
    np.testing.assert_allclose(ap.slerp(z0, z1, 1.0), z1, atol=1e-12)
    norms = np.linalg.norm(z0.reshape(5, -1), axis=1)
    for alpha in (0.1, 0.5, 0.83):
        z = ap.slerp(z0, z1, alpha).reshape(5, -1)
        np.testing.assert_allclose(np.linalg.norm(z, axis=1), norms, rtol=1e-12)
        mid = ap.lerp(z0, z1, alpha).reshape(5, -1)  # the chord is strictly inside the sphere
        assert np.all(np.linalg.norm(mid, axis=1) < norms)


def test_slerp_moves_at_constant_angular_speed_in_the_plane_of_its_endpoints():
    z0, z1 = np.array([[1.0, 0.0, 0.0]]), np.array([[0.0, 2.0, 0.0]])  # 90° apart, unequal norms
    theta = np.pi / 2 * 0.3
    expected = np.sin(np.pi / 2 * 0.7) * z0 + np.sin(theta) * z1  # sin θ = 1 here
    np.testing.assert_allclose(ap.slerp(z0, z1, 0.3), expected, atol=1e-12)


def test_slerp_of_parallel_endpoints_falls_back_to_lerp():
    z0 = np.array([[1.0, 2.0]])
    np.testing.assert_allclose(ap.slerp(z0, 3 * z0, 0.25), ap.lerp(z0, 3 * z0, 0.25), atol=1e-12)


def test_slerp_runs_on_torch_tensors_and_agrees_with_numpy():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(1)
    z0, z1 = rng.standard_normal((2, 4, 6))
    out = ap.slerp(torch.from_numpy(z0), torch.from_numpy(z1), 0.4)
    np.testing.assert_allclose(out.numpy(), ap.slerp(z0, z1, 0.4), atol=1e-12)


# ---------------------------------------------------------------- inversion
def test_inversion_round_trip_is_exact_for_a_point_mass_and_converges_for_a_gaussian():
    tau = dr.timesteps(1000, 20, "trailing")
    model = point_mass([0.3, -0.7]).model(ALPHA_BARS)
    x0 = np.array([[0.3, -0.7]])
    np.testing.assert_allclose(dr.sample(model, dr.invert(model, x0, ALPHA_BARS, tau), ALPHA_BARS, tau), x0,
                               atol=1e-9)
    model = CORRELATED.model(ALPHA_BARS)
    x0 = CORRELATED.sample(64, np.random.default_rng(0))
    errors = []
    for S in (10, 100):
        tau = dr.timesteps(1000, S, "trailing")
        errors.append(np.abs(dr.sample(model, dr.invert(model, x0, ALPHA_BARS, tau), ALPHA_BARS, tau) - x0).max())
    assert errors[1] < errors[0] / 5


# ---------------------------------------------------------------- exact conditional
def test_conditional_density_is_the_joint_density_up_to_a_constant():
    mix = GaussianMixture([[-1.0, -1.5, 0.0], [1.0, 1.5, 0.5]], [[0.5, 0.3, 0.2], [0.25, 0.4, 0.6]], [0.3, 0.7])
    x_known, mask = np.array([0.4, 0.0, -0.2]), np.array([1, 0, 1])
    cond = ap.conditional(mix, x_known, mask)
    ys = np.linspace(-2, 2, 7)
    full = np.tile(x_known, (7, 1))
    full[:, 1] = ys
    diff = mix.log_prob(full) - cond.log_prob(ys[:, None])
    np.testing.assert_allclose(diff, diff[0], atol=1e-10)


def test_mixture_moments_match_samples():
    mix = GaussianMixture([[-1.0, 0.0], [2.0, 1.0]], [[0.5, 0.2], [0.1, 0.3]], [0.25, 0.75])
    x = mix.sample(200_000, np.random.default_rng(0))
    mean, cov = ap.mixture_moments(mix)
    np.testing.assert_allclose(mean, x.mean(0), atol=0.02)
    np.testing.assert_allclose(cov, np.cov(x.T), atol=0.03)


# ---------------------------------------------------------------- inpainting
def _inpaint_error(resample, S=50, n=1000):
    """|mean error| + |variance error| of the filled coordinate vs the exact conditional."""
    x_known, mask = np.array([1.5, 0.0]), np.array([1, 0])
    mean, cov = ap.mixture_moments(ap.conditional(CORRELATED, x_known, mask))
    out = ap.inpaint(CORRELATED.model(ALPHA_BARS), np.tile(x_known, (n, 1)), mask, ALPHA_BARS,
                     dr.timesteps(1000, S, "trailing"), eta=1.0, resample=resample, rng=np.random.default_rng(0))
    np.testing.assert_array_equal(out[:, 0], x_known[0])  # the known entry is returned exactly
    return abs(out[:, 1].mean() - mean[0]) + abs(out[:, 1].var() - cov[0, 0])


def test_resampling_brings_inpainting_closer_to_the_exact_conditional():
    plain, resampled = _inpaint_error(1), _inpaint_error(8)
    assert resampled < plain / 3


def test_inpaint_with_everything_known_returns_the_input():
    x = np.array([[0.2, -0.4]])
    out = ap.inpaint(CORRELATED.model(ALPHA_BARS), x, np.ones(2), ALPHA_BARS, dr.timesteps(1000, 5),
                     rng=np.random.default_rng(0))
    np.testing.assert_array_equal(out, x)


# ---------------------------------------------------------------- SDEdit and denoising
def test_sdedit_with_a_point_mass_lands_on_the_point_and_keeps_the_guide_at_low_strength():
    target = np.array([0.5, -0.5])
    model = point_mass(target).model(ALPHA_BARS)
    guide = np.array([[2.0, 1.0]])
    tau = dr.timesteps(1000, 20, "trailing")
    for strength in (0.05, 1.0):  # a point-mass denoiser returns its point from any level
        out = ap.sdedit(model, guide, strength, ALPHA_BARS, tau, eta=0.0, rng=np.random.default_rng(0))
        np.testing.assert_allclose(out, target[None], atol=1e-9)
    assert len(ap.truncate_timesteps(tau, 0.05)) == 1 and len(ap.truncate_timesteps(tau, 0.5)) == 10
    np.testing.assert_array_equal(ap.truncate_timesteps(tau, 1.0), tau)


def test_denoise_enters_at_the_matching_level_and_reaches_the_gaussian_posterior_mean():
    t_star = ap.matching_timestep(ALPHA_BARS, 0.3)
    snr_inv = (1 - ALPHA_BARS) / ALPHA_BARS
    assert snr_inv[t_star] >= 0.09 > snr_inv[t_star - 1]
    # y = x0 + s·n with s exactly on the grid (no top-up): the stochastic reverse chain from √ᾱ y
    # samples p(x0 | y), which for N(μ, Σ) is N(μ + Σ (Σ + s²I)⁻¹ (y − μ), Σ − Σ (Σ + s²I)⁻¹ Σ).
    g = Gaussian([0.5, 0.0], [[1.0, 0.6], [0.6, 0.8]])
    s = float(((1 - ALPHA_BARS[t_star]) / ALPHA_BARS[t_star]) ** 0.5)  # exactly on the grid: no top-up
    y = np.array([1.2, -0.3])
    posterior_mean = g.mean + g.cov @ np.linalg.solve(g.cov + s**2 * np.eye(2), y - g.mean)
    out = ap.denoise(g.model(ALPHA_BARS), np.tile(y, (4000, 1)), s, ALPHA_BARS, np.arange(999, -1, -1), eta=1.0,
                     rng=np.random.default_rng(0))
    posterior_cov = g.cov - g.cov @ np.linalg.solve(g.cov + s**2 * np.eye(2), g.cov)
    np.testing.assert_allclose(out.mean(0), posterior_mean, atol=0.02)
    np.testing.assert_allclose(np.cov(out.T), posterior_cov, atol=0.01)


# ---------------------------------------------------------------- validation
@pytest.mark.parametrize("call, message", [
    (lambda: ap.slerp(np.ones((2, 3)), np.ones((2, 4)), 0.5), "does not match"),
    (lambda: ap.slerp(np.ones((2, 3)), np.ones((2, 3)), 1.5), r"alpha must be a finite number in \[0, 1\]"),
    (lambda: ap.slerp(np.zeros((2, 3)), np.ones((2, 3)), 0.5), "non-zero"),
    (lambda: ap.truncate_timesteps([9, 5, 0], 0.0), r"strength must be a finite number in \(0, 1\]"),
    (lambda: ap.truncate_timesteps([9, 5, 0], 1.2), r"strength must be a finite number in \(0, 1\]"),
    (lambda: ap.sdedit(None, np.ones((1, 2)), 0.5, ALPHA_BARS, [9, 0]), "rng"),
    (lambda: ap.inpaint(None, np.ones((4, 2)), np.ones(3), ALPHA_BARS, [9, 0], rng=np.random.default_rng(0)),
     "mask shape"),
    (lambda: ap.inpaint(None, np.ones((4, 2)), np.array([1, 0.5]), ALPHA_BARS, [9, 0],
                        rng=np.random.default_rng(0)), "mask values"),
    (lambda: ap.inpaint(None, np.ones((4, 2)), np.array([1, 0]), ALPHA_BARS, [9, 0], resample=0,
                        rng=np.random.default_rng(0)), "resample"),
    (lambda: ap.inpaint(None, np.ones((4, 2)), np.array([1, 0]), ALPHA_BARS, [9, 0]), "rng"),
    (lambda: ap.inpaint(None, np.ones((4, 2)), np.array([1, 0]), ALPHA_BARS, [9, 0], x_T=np.ones((3, 2)),
                        rng=np.random.default_rng(0)), "x_T shape"),
    (lambda: ap.matching_timestep(ALPHA_BARS, 0.0), "noise_std"),
    (lambda: ap.matching_timestep(ALPHA_BARS, 1e3), "exceeds"),
    (lambda: ap.conditional(CORRELATED, np.zeros(2), np.ones(2)), "at least one"),
    (lambda: ap.conditional(CORRELATED, np.zeros(3), np.array([1, 0, 0])), "shape"),
    (lambda: ap.conditional(point_mass([0.0, 0.0]), np.zeros(2), np.array([1, 0])), "singular"),
])
def test_bad_input_raises_a_clear_value_error(call, message):
    with pytest.raises(ValueError, match=message):
        call()


def test_sdedit_inpaint_and_denoise_run_on_torch_tensors_with_the_mirrors_rng_adapter():
    torch = pytest.importorskip("torch")
    from ddim_ref.torch import TorchNoise

    torch.set_num_threads(1)
    target = torch.tensor([0.5, -0.5], dtype=torch.float64)

    def model(x_t, t):  # exact ε̂ of a point mass, written for tensors
        ab = float(ALPHA_BARS[t])
        return (x_t - ab**0.5 * target) / (1 - ab) ** 0.5

    tau = dr.timesteps(1000, 10, "trailing")
    rng = TorchNoise(torch.Generator().manual_seed(0))
    guide = torch.tensor([[2.0, 1.0]], dtype=torch.float64)
    out = ap.sdedit(model, guide, 0.5, ALPHA_BARS, tau, eta=1.0, rng=rng)
    np.testing.assert_allclose(out.numpy(), target[None].numpy(), atol=1e-9)
    known = torch.tensor([[0.5, 9.0]], dtype=torch.float64)
    out = ap.inpaint(model, known, np.array([1, 0]), ALPHA_BARS, tau, resample=3, rng=rng)
    assert isinstance(out, torch.Tensor)
    np.testing.assert_allclose(out.numpy(), target[None].numpy(), atol=1e-9)
    out = ap.denoise(model, guide, 0.3, ALPHA_BARS, tau, rng=rng)
    np.testing.assert_allclose(out.numpy(), target[None].numpy(), atol=1e-9)
