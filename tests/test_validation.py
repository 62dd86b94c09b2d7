"""Bad input gets a ValueError that says what is wrong and what to do, never a silent NaN."""
import numpy as np
import pytest

from ddim_ref import (
    alpha_bars,
    beta_schedule,
    check_timesteps,
    ddim_step,
    ddpm_step,
    dynamic_threshold,
    invert,
    predict_x0_eps,
    rescale_zero_terminal_snr,
    sample,
    sample_ddpm,
    timesteps,
)
from ddim_ref.analytic import GaussianMixture, toy_mixture
from ddim_ref.schedules import check_betas

AB = alpha_bars(beta_schedule("linear", 1000))
X = np.zeros((4, 2))


def _model(x, t):
    return np.zeros_like(x)


# ---------------------------------------------------------------- names
@pytest.mark.parametrize("call, match", [
    (lambda: beta_schedule("cosin", 10), "unknown beta schedule 'cosin'; choose one of linear"),
    (lambda: timesteps(10, 5, "uniform"), "unknown timestep spacing 'uniform'; choose one of leading"),
    (lambda: ddim_step(X, X, 0.5, 0.9, prediction_type="eps"), "unknown prediction_type 'eps'; choose one of epsilon"),
    (lambda: ddpm_step(X, X, 0.5, 0.9, noise=X, variance="fixed_small"), "unknown variance 'fixed_small'"),
    (lambda: sample_ddpm(_model, X, AB, rng=np.random.default_rng(0), variance="big"), "unknown variance"),
    (lambda: toy_mixture("moons"), "unknown toy mixture 'moons'"),
    (lambda: invert(_model, X, AB, timesteps(1000, 5), eval_at="previous"),
     "unknown eval_at 'previous'; choose one of current, next"),
])
def test_unknown_names_raise_and_list_the_choices(call, match):
    with pytest.raises(ValueError, match=match):
        call()


# ---------------------------------------------------------------- schedules and timesteps
@pytest.mark.parametrize("kwargs", [dict(beta_start=0.0), dict(beta_start=0.03, beta_end=0.02), dict(beta_end=1.0),
                                    dict(beta_start=-1e-4)])
def test_beta_range_is_checked(kwargs):
    with pytest.raises(ValueError, match="0 < beta_start <= beta_end < 1"):
        beta_schedule("linear", 100, **kwargs)


@pytest.mark.parametrize("T", [0, -5, 2.5, True, "1000"])
def test_num_train_steps_must_be_a_positive_integer(T):
    with pytest.raises(ValueError, match="num_train_steps must be a positive integer"):
        beta_schedule("linear", T)


@pytest.mark.parametrize("betas", [[0.1, 0.0], [0.1, 1.5], [[0.1]], [], [0.1, np.nan]])
def test_betas_must_lie_in_0_1(betas):
    with pytest.raises(ValueError, match="beta"):
        alpha_bars(betas)
    with pytest.raises(ValueError):
        check_betas(betas)


@pytest.mark.parametrize("spacing", ["leading", "trailing", "linspace", "quadratic"])
@pytest.mark.parametrize("S", [0, -1, 1001, 2.0, True])
def test_num_steps_must_lie_in_1_to_T(spacing, S):
    with pytest.raises(ValueError, match=r"num_steps must be an integer in \[1, 1000\]"):
        timesteps(1000, S, spacing)


def test_steps_offset_past_the_last_timestep_raises():
    with pytest.raises(ValueError, match=r"timesteps must lie in \[0, 9\]"):
        timesteps(10, 10, "leading", steps_offset=1)


@pytest.mark.parametrize("ts, match", [
    ([10, 20, 30], "strictly descending"), ([30, 30, 10], "strictly descending"),
    ([1000, 500, 0], r"lie in \[0, 999\]"),
    ([500, 10, -1], r"lie in \[0, 999\]"), ([500.5, 10], "integers"), ([], "non-empty 1-D"), ([[500, 10]], "1-D"),
])
def test_custom_timesteps_are_validated_by_the_samplers(ts, match):
    with pytest.raises(ValueError, match=match):
        check_timesteps(ts, 1000)
    with pytest.raises(ValueError, match=match):
        sample(_model, X, AB, ts)
    with pytest.raises(ValueError, match=match):
        invert(_model, X, AB, ts)


def test_a_valid_custom_sequence_is_accepted():
    np.testing.assert_array_equal(check_timesteps([999.0, 500, 3], 1000), [999, 500, 3])
    assert np.all(np.isfinite(sample(_model, X + 1, AB, [999, 500, 3])))


# ---------------------------------------------------------------- eta
@pytest.mark.parametrize("eta", [-0.1, np.nan, np.inf, -np.inf, "0.5", None])
def test_eta_must_be_finite_and_non_negative(eta):
    with pytest.raises(ValueError, match="eta must be a finite number >= 0"):
        ddim_step(X, X, 0.5, 0.9, eta=eta, noise=X)
    with pytest.raises(ValueError, match="eta must be a finite number >= 0"):
        sample(_model, X, AB, timesteps(1000, 5), eta=eta, rng=np.random.default_rng(0))


def test_eta_above_1_far_enough_to_empty_the_direction_term_raises():
    """1 − ᾱ_prev − σ² < 0: the ε̂ coefficient would be the square root of a negative number (NaN)."""
    ab_t, ab_prev = 0.5, 0.9  # σ(η)² = η² · 0.1/0.5 · (1 − 0.5/0.9) = 0.0889 η² > 0.1 for η ≥ 1.07
    assert np.all(np.isfinite(ddim_step(X, X + 1, ab_t, ab_prev, eta=1.05, noise=X)[0]))
    with pytest.raises(ValueError, match="eta = 1.2 is too large: 1 - alpha_bar_prev - sigma\\^2 < 0; use eta <= 1"):
        ddim_step(X, X, ab_t, ab_prev, eta=1.2, noise=X)
    with pytest.raises(ValueError, match="too large"):
        sample(_model, X, AB, timesteps(1000, 10), eta=3.0, rng=np.random.default_rng(0))


# ---------------------------------------------------------------- noise levels
@pytest.mark.parametrize("ab_t, ab_prev", [(1.5, 0.9), (-0.1, 0.9), (np.nan, 0.9), (0.5, 1.01), (0.5, np.nan),
                                           (np.array([0.5, 1.2]), 0.9)])
def test_alpha_bar_outside_0_1_raises(ab_t, ab_prev):
    for step in (lambda: ddim_step(X, X, ab_t, ab_prev), lambda: ddpm_step(X, X, ab_t, ab_prev, noise=X)):
        with pytest.raises(ValueError, match="must lie in \\[0, 1\\]"):
            step()


def test_a_step_cannot_land_on_pure_noise_and_a_stochastic_step_cannot_go_up():
    with pytest.raises(ValueError, match="alpha_bar_prev must be > 0"):
        ddim_step(X, X, 0.0, 0.0, prediction_type="v_prediction")
    with pytest.raises(ValueError, match="stochastic step needs alpha_bar_prev >= alpha_bar_t"):
        ddim_step(X, X, 0.9, 0.5, eta=0.5, noise=X)
    with pytest.raises(ValueError, match="stochastic step needs alpha_bar_prev >= alpha_bar_t"):
        ddpm_step(X, X, 0.9, 0.5, noise=X)
    assert np.all(np.isfinite(ddim_step(X + 1, X, 0.9, 0.5)[0]))  # η = 0 runs either way (inversion)


@pytest.mark.parametrize("bad", [np.append(AB[:-1], 1.5), -AB, np.concatenate([AB[:500], AB[:500]]), AB[None]])
def test_sampler_alpha_bars_are_checked(bad):
    with pytest.raises(ValueError, match="alpha_bars"):
        sample(_model, X, bad, [499, 200, 10])


@pytest.mark.parametrize("final", [1.5, AB[0] * 0.5, np.nan])
def test_final_alpha_bar_must_lie_between_the_last_level_and_1(final):
    with pytest.raises(ValueError, match="final_alpha_bar must lie in"):
        sample(_model, X, AB, [999, 500, 10], final_alpha_bar=final)


# ---------------------------------------------------------------- shapes
def test_shape_mismatches_raise():
    with pytest.raises(ValueError, match=r"model_output shape \(4, 3\) does not match x_t shape \(4, 2\)"):
        ddim_step(X, np.zeros((4, 3)), 0.5, 0.9)
    with pytest.raises(ValueError, match=r"noise shape \(2, 2\) does not match x_t shape \(4, 2\)"):
        ddim_step(X, X, 0.5, 0.9, eta=0.5, noise=np.zeros((2, 2)))
    with pytest.raises(ValueError, match="does not match x_t shape"):
        ddpm_step(X, X[:1], 0.5, 0.9, noise=X)
    with pytest.raises(ValueError, match="does not match x_t shape"):
        sample(lambda x, t: x[:, :1], X, AB, timesteps(1000, 5))


# ---------------------------------------------------------------- zero terminal SNR
def _zero_snr():
    return alpha_bars(rescale_zero_terminal_snr(beta_schedule("scaled_linear", 1000, beta_start=0.00085,
                                                                      beta_end=0.012)))


def test_epsilon_prediction_at_zero_terminal_snr_points_to_v_prediction():
    ab = _zero_snr()
    assert ab[-1] == 0
    with pytest.raises(ValueError, match="zero terminal SNR.*v_prediction"):
        predict_x0_eps(X, X, 0.0)
    with pytest.raises(ValueError, match="zero terminal SNR.*v_prediction"):
        sample(_model, X, ab, timesteps(1000, 10, "trailing"))


def test_v_prediction_works_at_zero_terminal_snr(v_model):
    """At ᾱ = 0, x0̂ = −v: the exact v-model gives the data mean there, and sampling stays finite."""
    ab = _zero_snr()
    ring = toy_mixture("ring", radius=1.0)
    ring.means = ring.means + [0.5, -0.25]  # a non-zero data mean
    model = v_model(ring, ab)
    x_T = np.random.default_rng(0).standard_normal((16, 2))
    traj = sample(model, x_T, ab, timesteps(1000, 10, "trailing"), eta=1.0, rng=np.random.default_rng(1),
                  prediction_type="v_prediction", return_trajectory=True)
    np.testing.assert_allclose(traj.x0_hat[0], np.broadcast_to([0.5, -0.25], (16, 2)), atol=1e-12)
    assert np.all(np.isfinite(traj.x))


# ---------------------------------------------------------------- randomness must be explicit
def test_stochastic_samplers_need_an_rng_or_noise():
    with pytest.raises(ValueError, match="pass rng=np.random.default_rng"):
        sample(_model, X, AB, timesteps(1000, 5), eta=0.5)
    with pytest.raises(ValueError, match="pass rng=np.random.default_rng"):
        sample(_model, X, AB, timesteps(1000, 5), sigma_hat=True)
    with pytest.raises(ValueError, match="pass rng=np.random.default_rng"):
        sample_ddpm(_model, X, AB)
    with pytest.raises(ValueError, match="pass noise="):
        ddim_step(X, X, 0.5, 0.9, eta=0.5)
    with pytest.raises(ValueError, match="pass noise="):
        ddpm_step(X, X, 0.5, 0.9)
    with pytest.raises(TypeError, match="rng must be a numpy.random.Generator"):
        sample(_model, X, AB, timesteps(1000, 5), eta=0.5, rng=0)


# ---------------------------------------------------------------- x0̂ post-processing, exact denoisers
def test_clip_and_threshold_arguments_are_checked():
    with pytest.raises(ValueError, match="clip must be c > 0 or a pair"):
        ddim_step(X, X, 0.5, 0.9, clip=(1.0, -1.0))
    with pytest.raises(ValueError, match="clip must be c > 0 or a pair"):
        ddim_step(X, X, 0.5, 0.9, clip=-1.0)
    with pytest.raises(ValueError, match="dynamic threshold ratio must lie in"):
        dynamic_threshold(X, 1.5)


@pytest.mark.parametrize("covs, weights, match", [
    (np.ones((2, 3)), None, "covs must have shape"), (np.array([[[1, 0.5], [0, 1]]] * 2), None, "symmetric"),
    (np.array([[[1, 2], [2, 1]]] * 2), None, "positive semi-definite"), (np.ones(2), [0.7, 0.7], "weights"),
])
def test_gaussian_mixture_arguments_are_checked(covs, weights, match):
    with pytest.raises(ValueError, match=match):
        GaussianMixture(np.zeros((2, 2)), covs, weights)


def test_mixture_eps_checks_points_and_levels():
    mix = toy_mixture("ring")
    with pytest.raises(ValueError, match="last dimension 2"):
        mix.eps(np.zeros((3, 3)), 0.5)
    with pytest.raises(ValueError, match="alpha_bar must lie in"):
        mix.eps(np.zeros((3, 2)), 1.5)


def test_numpy_scalars_are_numbers_too():
    """eta and clip taken from NumPy arrays (np.float32, np.int64) behave like Python numbers."""
    x, out, z = np.random.default_rng(0).standard_normal((3, 4, 2)) * 3
    for eta in (np.float32(0.5), np.float64(0.5)):
        np.testing.assert_allclose(ddim_step(x, out, 0.5, 0.9, eta=eta, noise=z)[0],
                                   ddim_step(x, out, 0.5, 0.9, eta=0.5, noise=z)[0], rtol=1e-7)
    np.testing.assert_array_equal(ddim_step(x, out, 0.5, 0.9, eta=np.int64(0))[0], ddim_step(x, out, 0.5, 0.9)[0])
    np.testing.assert_array_equal(ddim_step(x, out, 0.5, 0.9, clip=np.float32(1.0))[1],
                                  ddim_step(x, out, 0.5, 0.9, clip=1.0)[1])


def test_per_sample_noise_levels_are_checked_per_sample():
    """ᾱ may be an array broadcasting against x: each row is its own step, checked on its own."""
    x, out, z = np.random.default_rng(1).standard_normal((3, 2, 3))
    ab_t, ab_prev = np.array([[0.5], [0.2]]), np.array([[0.6], [0.3]])  # 0.5 > 0.3, yet every row goes down
    batched = ddim_step(x, out, ab_t, ab_prev, eta=1.0, noise=z)[0]
    for i in range(2):
        row = ddim_step(x[i], out[i], float(ab_t[i, 0]), float(ab_prev[i, 0]), eta=1.0, noise=z[i])[0]
        np.testing.assert_allclose(batched[i], row, rtol=1e-14)
    with pytest.raises(ValueError, match="stochastic step needs alpha_bar_prev >= alpha_bar_t"):
        ddim_step(x, out, ab_t, ab_prev[::-1] - 0.2, eta=1.0, noise=z)
