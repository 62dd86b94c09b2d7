"""Sample metrics against exact values: shifts, Gaussians, scipy's energy distance, and the noise floor."""
import numpy as np
import pytest

from ddim_ref import metrics
from ddim_ref.analytic import toy_mixture


def test_sw2_of_a_shift_is_its_length_over_sqrt2():
    """In 2-D, W₂(θᵀx, θᵀx + θᵀc) = |θᵀc|, and the mean of (θᵀc)² over the half circle is |c|²/2."""
    x = np.random.default_rng(0).standard_normal((500, 2))
    c = np.array([0.3, -1.2])
    for k in (2, 7, 256):
        assert metrics.sliced_wasserstein(x, x + c, num_directions=k) == pytest.approx(np.linalg.norm(c) / 2**0.5)


def test_sw2_between_isotropic_gaussians():
    """Every projection of N(0, s²I) is N(0, s²), so SW₂ = |s₁ − s₂| in any dimension."""
    rng = np.random.default_rng(1)
    for d in (2, 5):
        x, y = 0.5 * rng.standard_normal((20000, d)), 1.5 * rng.standard_normal((20000, d))
        assert metrics.sliced_wasserstein(x, y, 64, rng=rng) == pytest.approx(1.0, abs=0.03)


def test_energy_distance_matches_scipy_in_1d():
    stats = pytest.importorskip("scipy.stats")
    rng = np.random.default_rng(2)
    u, v = rng.standard_normal(300), 0.4 + 1.3 * rng.standard_normal(200)
    assert metrics.energy_distance(u[:, None], v[:, None]) == pytest.approx(stats.energy_distance(u, v) ** 2,
                                                                            rel=1e-9)


def test_symmetric_permutation_invariant_zero_on_itself():
    rng = np.random.default_rng(3)
    x, y = rng.standard_normal((100, 2)), rng.standard_normal((100, 2)) + 1
    for f in (metrics.sliced_wasserstein, metrics.energy_distance):
        assert f(x, y) == pytest.approx(f(y, x))
        assert f(x, y) == pytest.approx(f(x[::-1], rng.permutation(y)))
        assert f(x, x) == pytest.approx(0.0, abs=1e-9)


def test_noise_floor_shrinks_with_n_and_a_missing_mode_rises_above_it():
    """E(x, y) of two exact n-sets is a V-statistic with mean ∝ 1/n; SW₂'s floor shrinks more slowly."""
    ring = toy_mixture("ring")

    def floor(metric, n):
        return np.mean([metrics.noise_floor(metric, ring.sample, n, np.random.default_rng(s)) for s in range(4)])

    assert 0.03 < floor(metrics.energy_distance, 2000) / floor(metrics.energy_distance, 125) < 0.15  # 1/16
    assert floor(metrics.sliced_wasserstein, 2000) < 0.6 * floor(metrics.sliced_wasserstein, 125)
    rng = np.random.default_rng(4)
    x = ring.sample(4000, rng)
    kept = x[np.arctan2(x[:, 1], x[:, 0]) > -2.5]  # one of the 8 modes dropped
    missing = np.concatenate([kept, kept])[:2000]
    assert metrics.energy_distance(missing, ring.sample(2000, rng)) > 3 * floor(metrics.energy_distance, 2000)
    assert metrics.sliced_wasserstein(missing, ring.sample(2000, rng)) > 1.5 * floor(metrics.sliced_wasserstein, 2000)


def test_rms_error():
    x = np.zeros((10, 3))
    assert metrics.rms_error(x + 2.0, x) == pytest.approx(2.0)
    with pytest.raises(ValueError, match="shape"):
        metrics.rms_error(x, x[:5])


def test_bad_input_raises():
    x = np.zeros((10, 2))
    with pytest.raises(ValueError, match="equal size"):
        metrics.sliced_wasserstein(x, x[:5])
    with pytest.raises(ValueError, match="same d"):
        metrics.energy_distance(x, np.zeros((10, 3)))
    with pytest.raises(ValueError, match="NaN"):
        metrics.sliced_wasserstein(x, x + np.nan)
    with pytest.raises(ValueError, match="rng"):
        metrics.sliced_wasserstein(np.zeros((10, 3)), np.ones((10, 3)))
