"""Schedules and timestep sequences against their defining formulas (diffusers' values: test_conformance_diffusers)."""
import math

import numpy as np
import pytest

from ddim_ref import (
    BETA_SCHEDULES,
    alpha_bar_from_sigma,
    alpha_bars,
    beta_schedule,
    betas_from_alpha_bars,
    log_snr,
    rescale_zero_terminal_snr,
    sigma_from_alpha_bar,
    snr,
    timesteps,
)


def test_linear_and_scaled_linear_hit_their_endpoints():
    b = beta_schedule("linear", 1000)
    assert b[0] == 1e-4 and b[-1] == pytest.approx(0.02, rel=1e-15)
    np.testing.assert_allclose(np.diff(b, 2), 0, atol=1e-17)  # affine in t
    s = beta_schedule("scaled_linear", 1000, beta_start=0.00085, beta_end=0.012)
    np.testing.assert_allclose(np.diff(s**0.5, 2), 0, atol=1e-16)  # √β affine in t
    assert s[0] == pytest.approx(0.00085, rel=1e-14) and s[-1] == pytest.approx(0.012, rel=1e-14)


def test_cosine_alpha_bar_is_the_squared_cosine_ratio():
    """Nichol & Dhariwal Eq. 17: ᾱ_t = f(t+1)/f(0) with f(u) = cos²((u/T + s)/(1+s) π/2), where β is not capped."""
    T, s = 1000, 0.008
    f = np.cos((np.arange(T + 1) / T + s) / (1 + s) * np.pi / 2) ** 2
    ab = alpha_bars(beta_schedule("cosine", T))
    capped = np.argmax(beta_schedule("cosine", T) >= 0.999)
    assert capped == T - 1  # only the last β hits the 0.999 cap at T = 1000
    np.testing.assert_allclose(ab[:capped], f[1:capped + 1] / f[0], rtol=1e-10)


def test_sigmoid_is_a_rescaled_logistic():
    b = beta_schedule("sigmoid", 500, beta_start=1e-4, beta_end=0.02)
    logit = np.log((b - 1e-4) / (0.02 - b))
    np.testing.assert_allclose(logit, np.linspace(-6, 6, 500), atol=1e-9)


@pytest.mark.parametrize("name", BETA_SCHEDULES)
def test_betas_from_alpha_bars_inverts_alpha_bars(name):
    b = beta_schedule(name, 300)
    np.testing.assert_allclose(betas_from_alpha_bars(alpha_bars(b)), b, rtol=1e-9)


@pytest.mark.parametrize("name", BETA_SCHEDULES)
def test_rescale_zero_terminal_snr_is_lin_et_al_algorithm_1(name):
    """√ᾱ is mapped affinely so that the first value stays and the last becomes exactly 0."""
    b = beta_schedule(name, 1000)
    old, new = alpha_bars(b) ** 0.5, alpha_bars(rescale_zero_terminal_snr(b)) ** 0.5
    assert new[-1] == 0 and new[0] == pytest.approx(old[0], rel=1e-12)
    slope, intercept = np.polyfit(old, new, 1)
    np.testing.assert_allclose(new, slope * old + intercept, atol=1e-10)
    assert np.all(np.diff(new) < 0)


def test_snr_helpers_agree():
    ab = alpha_bars(beta_schedule("linear", 1000))
    np.testing.assert_allclose(np.exp(log_snr(ab)), snr(ab), rtol=1e-12)
    np.testing.assert_allclose(sigma_from_alpha_bar(ab) ** -2, snr(ab), rtol=1e-12)
    np.testing.assert_allclose(alpha_bar_from_sigma(sigma_from_alpha_bar(ab)), ab, rtol=1e-12)
    assert log_snr(0.0) == -np.inf and snr(1.0) == np.inf


@pytest.mark.parametrize("T,S", [(1000, 50), (1000, 10), (100, 7), (10, 3)])
def test_leading_is_multiples_of_floor_T_over_S_plus_offset(T, S):
    k = T // S
    np.testing.assert_array_equal(timesteps(T, S, "leading"), k * np.arange(S)[::-1])
    np.testing.assert_array_equal(timesteps(T, S, "leading", steps_offset=1), k * np.arange(S)[::-1] + 1)


@pytest.mark.parametrize("T,S", [(1000, 50), (1000, 10), (100, 7), (50, 29)])
def test_trailing_starts_at_T_minus_1_and_linspace_spans_0_to_T_minus_1(T, S):
    tr, ls = timesteps(T, S, "trailing"), timesteps(T, S, "linspace")
    assert tr[0] == T - 1 and len(tr) == S and tr[-1] == round(T / S) - 1
    assert ls[0] == T - 1 and ls[-1] == 0 and len(ls) == S
    if T % S == 0:
        np.testing.assert_array_equal(tr, timesteps(T, S, "leading") + T // S - 1)


def test_quadratic_is_the_official_ddim_rule_where_it_has_no_repeats():
    T, S = 1000, 20  # √(0.8 T) + 1 ≈ 29 > S: no repeats
    official = (np.linspace(0, math.sqrt(0.8 * T), S) ** 2).astype(int)[::-1]
    assert len(set(official)) == S
    np.testing.assert_array_equal(timesteps(T, S, "quadratic"), official)


def test_quadratic_moves_repeats_up_by_one():
    T, S = 100, 50  # the official rule repeats small timesteps here
    official = (np.linspace(0, math.sqrt(0.8 * T), S) ** 2).astype(int)[::-1]
    ts = timesteps(T, S, "quadratic")
    assert len(set(official)) < S and len(set(ts)) == S
    assert np.all(ts >= official) and ts[0] == official[0]


def test_the_official_uniform_skip_is_leading_only_when_S_divides_T():
    """ermongroup/ddim's skip_type="uniform" is range(0, T, T // S): leading when S | T, longer otherwise."""
    for T, S in [(1000, 10), (1000, 50), (1000, 30), (1000, 300), (50, 7)]:
        official = np.arange(0, T, T // S)[::-1]
        leading = timesteps(T, S, "leading")
        if T % S == 0:
            np.testing.assert_array_equal(official, leading)
        else:
            assert len(official) == -(-T // (T // S)) > S
            np.testing.assert_array_equal(official[-S:], leading)  # the same grid, plus steps above it
    assert np.arange(0, 1000, 1000 // 30).tolist()[-1] == 990 and timesteps(1000, 30, "leading")[0] == 957
