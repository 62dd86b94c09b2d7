"""Property tests (hypothesis): invariants over random schedules, sequences, and bad inputs.

``max_examples`` is modest so the file runs in seconds; ``derandomize`` keeps CI reproducible.
"""
import math
from itertools import pairwise

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from ddim_ref import (
    BETA_SCHEDULES,
    PREDICTION_TYPES,
    SPACINGS,
    alpha_bars,
    beta_schedule,
    check_timesteps,
    ddim_step,
    ddpm_step,
    rescale_zero_terminal_snr,
    timesteps,
)

SETTINGS = settings(max_examples=40, deadline=None, derandomize=True)


@st.composite
def schedules(draw):
    """(name, T, beta_start, beta_end) with ᾱ_T well above underflow (β ≤ 0.2, T ≤ 1000)."""
    name = draw(st.sampled_from(BETA_SCHEDULES))
    T = draw(st.integers(1, 1000))
    lo = draw(st.floats(1e-6, 0.2))
    hi = draw(st.floats(lo, 0.2))
    return name, T, lo, hi


@SETTINGS
@given(schedules())
def test_betas_in_0_1_and_alpha_bar_strictly_decreasing(args):
    name, T, lo, hi = args
    b = beta_schedule(name, T, beta_start=lo, beta_end=hi)
    assert b.shape == (T,) and b.dtype == np.float64
    assert np.all((b > 0) & (b < 1))
    ab = alpha_bars(b)
    assert ab[-1] > 0 and ab[0] < 1 and np.all(np.diff(ab) < 0)


@SETTINGS
@given(schedules())
def test_zero_terminal_snr_keeps_the_first_level_and_ends_at_0(args):
    name, T, lo, hi = args
    b = beta_schedule(name, max(T, 2), beta_start=lo, beta_end=hi)
    ab, new = alpha_bars(b), alpha_bars(rescale_zero_terminal_snr(b))
    assert new[-1] == 0 and math.isclose(new[0], ab[0], rel_tol=1e-9)
    assert np.all(np.diff(new) < 0)
    assert np.all((rescale_zero_terminal_snr(b) > 0) & (rescale_zero_terminal_snr(b) <= 1))


@st.composite
def sequences(draw):
    T = draw(st.integers(1, 3000))
    S = draw(st.integers(1, T))
    return T, S, draw(st.sampled_from(SPACINGS))


@SETTINGS
@given(sequences())
def test_timesteps_are_S_strictly_descending_values_in_0_T(args):
    T, S, spacing = args
    ts = timesteps(T, S, spacing)
    assert ts.shape == (S,) and ts.dtype == np.int64
    assert np.all(np.diff(ts) < 0) and ts[-1] >= 0 and ts[0] <= T - 1
    if spacing in ("trailing", "linspace"):
        assert ts[0] == T - 1
    if spacing in ("leading", "linspace", "quadratic"):
        assert ts[-1] == 0


@SETTINGS
@given(st.integers(1, 300), st.integers(0, 300))
def test_quadratic_covers_every_step_count_up_to_T(T, extra):
    """With S up to T the quadratic rule repeats timesteps; the repaired sequence is still valid."""
    S = max(1, T - extra % T)
    ts = timesteps(T, S, "quadratic")
    assert len(ts) == S and np.all(np.diff(ts) < 0) and ts[-1] >= 0 and ts[0] < T
    if S == T:
        np.testing.assert_array_equal(ts, np.arange(T)[::-1])


@SETTINGS
@given(st.lists(st.integers(-3, 1003), min_size=0, max_size=8))
def test_custom_sequences_are_accepted_exactly_when_valid(ts):
    valid = len(ts) > 0 and all(a > b for a, b in pairwise(ts)) and min(ts) >= 0 and max(ts) < 1000
    try:
        out = check_timesteps(ts, 1000)
    except ValueError:
        assert not valid
    else:
        assert valid and out.tolist() == ts


@st.composite
def step_inputs(draw):
    """Random shapes, noise levels ᾱ_t ≤ ᾱ_prev in (0, 1), model outputs and noise."""
    shape = tuple(draw(st.lists(st.integers(1, 4), min_size=1, max_size=3)))
    ab_t = draw(st.floats(1e-6, 1 - 1e-6))
    ab_prev = draw(st.floats(ab_t, 1.0))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    x, out, z = rng.standard_normal((3,) + shape)
    return x, out, z, ab_t, ab_prev


@SETTINGS
@given(step_inputs(), st.floats(0, 1), st.sampled_from(PREDICTION_TYPES))
def test_valid_steps_are_finite(inputs, eta, prediction_type):
    x, out, z, ab_t, ab_prev = inputs
    for x_prev, x0_hat in (ddim_step(x, out, ab_t, ab_prev, eta=eta, noise=z, prediction_type=prediction_type),
                           ddpm_step(x, out, ab_t, ab_prev, noise=z, prediction_type=prediction_type)):
        assert x_prev.shape == x.shape and np.all(np.isfinite(x_prev)) and np.all(np.isfinite(x0_hat))


@SETTINGS
@given(step_inputs(), st.floats(1, 50))
def test_eta_above_1_gives_a_finite_step_or_a_value_error(inputs, eta):
    x, out, z, ab_t, ab_prev = inputs
    try:
        x_prev = ddim_step(x, out, ab_t, ab_prev, eta=eta, noise=z)[0]
    except ValueError as e:
        assert "too large" in str(e)
    else:
        assert np.all(np.isfinite(x_prev))


bad_eta = st.one_of(st.floats(max_value=-1e-300), st.sampled_from([math.nan, math.inf, -math.inf]))
bad_level = st.one_of(st.floats(max_value=-1e-300), st.floats(min_value=1 + 1e-15), st.just(math.nan))


@SETTINGS
@given(step_inputs(), bad_eta)
def test_bad_eta_raises(inputs, eta):
    x, out, z, ab_t, ab_prev = inputs
    try:
        ddim_step(x, out, ab_t, ab_prev, eta=eta, noise=z)
    except ValueError as e:
        assert "eta must be a finite number >= 0" in str(e)
    else:
        raise AssertionError(f"eta={eta} accepted")


@SETTINGS
@given(step_inputs(), bad_level, st.booleans(), st.sampled_from(["ddim", "ddpm"]))
def test_bad_noise_level_raises(inputs, level, as_prev, which):
    x, out, z, ab_t, ab_prev = inputs
    ab_t, ab_prev = (ab_t, level) if as_prev else (level, ab_prev)
    step = ddim_step if which == "ddim" else ddpm_step
    try:
        step(x, out, ab_t, ab_prev, noise=z)
    except ValueError as e:
        assert "must lie in [0, 1]" in str(e)
    else:
        raise AssertionError(f"alpha_bar {level} accepted")


@SETTINGS
@given(st.integers(1, 2000), st.one_of(st.integers(max_value=0), st.integers(min_value=2001)))
def test_bad_step_counts_raise(T, S):
    S = S if S < 1 else T + (S - 2000)
    try:
        timesteps(T, S)
    except ValueError as e:
        assert f"num_steps must be an integer in [1, {T}]" in str(e)
    else:
        raise AssertionError(f"num_steps={S} accepted for T={T}")
