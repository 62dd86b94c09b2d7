"""ddim_ref.plot draws exactly the data it is given, and its pure helpers are exact."""
import subprocess
import sys

import matplotlib
import numpy as np
import pytest

import ddim_ref as dr
from ddim_ref import plot as dp

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def test_importing_plot_does_not_import_matplotlib():
    code = "import sys, ddim_ref.plot; print('matplotlib' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip()
    assert out == "False"


def test_loglog_slope_recovers_the_exponent_of_a_power_law():
    x = np.array([10, 20, 50, 100, 1000])
    for p in (-1.0, -2.0, 0.5):
        assert dp.loglog_slope(x, 3.7 * x**p) == pytest.approx(p, abs=1e-12)


@pytest.mark.parametrize("x, y", [([1, 2], [1, -1]), ([0, 1], [1, 2]), ([1], [1]), ([1, 2, 3], [1, 2])])
def test_loglog_slope_rejects_bad_input(x, y):
    with pytest.raises(ValueError):
        dp.loglog_slope(x, y)


def test_tile_images_puts_image_i_at_row_i_div_ncols_column_i_mod_ncols():
    rng = np.random.default_rng(0)
    imgs = rng.random((7, 1, 4, 5))
    tiled = dp.tile_images(imgs, ncols=3, pad=2, pad_value=-1.0)
    assert tiled.shape == (3 * 4 + 2 * 2, 3 * 5 + 2 * 2)
    for i in range(7):
        r, c = divmod(i, 3)
        np.testing.assert_array_equal(tiled[r * 6:r * 6 + 4, c * 7:c * 7 + 5], imgs[i, 0])
    assert np.all(tiled[:, 5:7] == -1.0) and np.all(tiled[12:, 7:] == -1.0)  # gaps and the empty slots


@pytest.mark.parametrize("bad", [np.zeros((2, 2, 4, 4)), np.zeros((4, 4)), np.zeros((0, 4, 4))])
def test_tile_images_rejects_batches_that_are_neither_grey_nor_rgb(bad):
    with pytest.raises(ValueError, match="shape"):
        dp.tile_images(bad)


def test_tile_images_keeps_rgb_colour():
    imgs = np.random.default_rng(2).random((5, 3, 4, 6))
    out = dp.tile_images(imgs, ncols=3, pad=1)
    assert out.shape == (2 * 4 + 1, 3 * 6 + 2, 3)
    np.testing.assert_array_equal(out[5:9, 7:13], imgs[4].transpose(1, 2, 0))  # row 1, column 1


def test_image_grid_shows_the_tiled_array_even_with_integer_limits():
    imgs = np.random.default_rng(1).random((4, 8, 8)) * 2 - 1
    ax = dp.image_grid(imgs, ncols=2, vmin=-1, vmax=1)  # an int pad value must not truncate the pixels
    np.testing.assert_array_equal(ax.images[0].get_array(), dp.tile_images(imgs, 2, pad_value=1.0))


def test_density_grid_is_exp_log_prob_at_each_grid_point():
    mix = dr.analytic.toy_mixture("ring")
    xs, ys, p = dp.density_grid(mix, alpha_bar=0.5, lim=3.0, n=21)
    i, j = 4, 17
    assert p[i, j] == pytest.approx(np.exp(mix.log_prob(np.array([xs[j], ys[i]]), 0.5)), rel=1e-12)
    xs, _, dense = dp.density_grid(mix, alpha_bar=1.0, lim=3.5, n=301)
    assert dense.sum() * (xs[1] - xs[0]) ** 2 == pytest.approx(1.0, abs=1e-3)  # a density: integrates to 1


def test_scatter_and_trajectories_draw_the_given_points():
    rng = np.random.default_rng(2)
    pts = rng.standard_normal((50, 2))
    ax = dp.scatter_2d(pts)
    np.testing.assert_array_equal(ax.collections[0].get_offsets(), pts)
    mix = dr.analytic.toy_mixture("two_moons")
    ab = dr.alpha_bars(dr.beta_schedule("linear", 100))
    traj = dr.sample(mix.model(ab), pts, ab, dr.timesteps(100, 5), return_trajectory=True)
    ax = dp.plot_trajectories(traj, num_paths=3)
    assert len(ax.lines) == 3
    for k in range(3):
        np.testing.assert_array_equal(np.stack(ax.lines[k].get_data(), 1), traj.x[:, k])
    np.testing.assert_array_equal(ax.collections[1].get_offsets(), traj.x[-1, :3])


@pytest.mark.parametrize("fn", [dp.scatter_2d, lambda x: dp.plot_trajectories(x[None])])
def test_2d_helpers_reject_points_that_are_not_2d(fn):
    with pytest.raises(ValueError, match=r"\(n, 2\)|\(S\+1, n, 2\)"):
        fn(np.zeros((10, 3)))


def test_plot_schedules_draws_beta_alpha_bar_and_log_snr():
    betas = dr.beta_schedule("cosine", 50)
    axes = dp.plot_schedules({"cosine": betas})
    np.testing.assert_allclose(axes[0].lines[0].get_ydata(), betas)
    np.testing.assert_allclose(axes[1].lines[0].get_ydata(), dr.alpha_bars(betas))
    np.testing.assert_allclose(axes[2].lines[0].get_ydata(), dr.log_snr(dr.alpha_bars(betas)))
    with pytest.raises(ValueError):
        dp.plot_schedules({})


def test_plot_timesteps_one_row_per_sequence_at_the_given_steps():
    seqs = {s: dr.timesteps(1000, 10, s) for s in ("leading", "linspace")}
    ax = dp.plot_timesteps(seqs, 1000)
    for row, ts in enumerate(seqs.values()):
        x, y = ax.lines[row].get_data()
        np.testing.assert_array_equal(x, ts)
        assert np.all(np.asarray(y) == row)


def test_plot_convergence_labels_each_line_with_its_fitted_slope():
    steps = np.array([5, 10, 20, 40])
    ax = dp.plot_convergence(steps, {"euler": 2.0 / steps, "heun": 3.0 / steps**2})
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert labels == ["euler (slope -1.00)", "heun (slope -2.00)"]
