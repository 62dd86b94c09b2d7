"""Guidance against exact answers: labelled Gaussian mixtures give p(x | c) and ∇ log p_t(c | x_t) in closed form."""
import numpy as np
import pytest

import ddim_ref as dr
from ddim_ref import guidance
from ddim_ref.analytic import GaussianMixture

AB = dr.alpha_bars(dr.beta_schedule("linear", 1000))
MIX = GaussianMixture([[-2.0, 0.0], [2.0, 0.0], [0.0, 2.0], [0.0, -2.0]],
                      [[0.2, 0.2], [0.3, 0.1], [0.15, 0.15], [0.25, 0.25]], [0.1, 0.4, 0.3, 0.2], labels=[0, 0, 1, 2])
X = np.random.default_rng(0).standard_normal((32, 2)) * 2
LEVELS = [0, 10, 100, 300, 600, 900, 999]


def _v_model(mixture):
    def model(x, t):
        a = float(AB[t])
        return dr.v_from_x0_eps(mixture.x0_mean(x, a), mixture.eps(x, a), a)

    return model


def _x0_model(mixture):
    return lambda x, t: mixture.x0_mean(x, float(AB[t]))


@pytest.mark.parametrize("label", [0, 1, 2])
def test_the_conditional_is_the_class_renormalised(label):
    cond = MIX.conditional(label)
    members = MIX.labels == label
    np.testing.assert_allclose(cond.weights, MIX.weights[members] / MIX.weights[members].sum())
    # Bayes: log p(x | c) = log p(x) + log p(c | x) − log p(c), at every level
    for t in LEVELS:
        a = float(AB[t])
        bayes = MIX.log_prob(X, a) + MIX.class_log_prob(X, a, label) - np.log(MIX.class_prior(label))
        np.testing.assert_allclose(cond.log_prob(X, a), bayes, rtol=1e-10, atol=1e-10)


def test_the_class_gradient_is_the_gradient_of_the_class_log_probability():
    h = 1e-6
    for t in (50, 400, 900):
        a = float(AB[t])
        grad = MIX.grad_log_class_prob(X, a, 1)
        for j in range(2):
            e = np.zeros(2)
            e[j] = h
            fd = (MIX.class_log_prob(X + e, a, 1) - MIX.class_log_prob(X - e, a, 1)) / (2 * h)
            np.testing.assert_allclose(grad[:, j], fd, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("label", [0, 1, 2])
@pytest.mark.parametrize("t", LEVELS)
def test_cfg_at_1_is_the_conditional_and_at_0_the_unconditional(label, t):
    uncond, cond = MIX.model(AB), MIX.conditional(label).model(AB)
    np.testing.assert_allclose(guidance.classifier_free(uncond, cond, 1.0)(X, t), cond(X, t), rtol=1e-13, atol=1e-15)
    np.testing.assert_allclose(guidance.classifier_free(uncond, cond, 0.0)(X, t), uncond(X, t), rtol=1e-13, atol=1e-15)


@pytest.mark.parametrize("label", [0, 1, 2])
@pytest.mark.parametrize("t", LEVELS)
def test_classifier_guidance_at_1_with_the_exact_gradient_is_the_conditional(label, t):
    guided = guidance.classifier_guidance(MIX.model(AB), MIX.classifier(AB, label), 1.0, AB)
    np.testing.assert_allclose(guided(X, t), MIX.conditional(label).eps(X, float(AB[t])), rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("s", [0.0, 1.0, 3.0])
def test_cfg_is_the_same_in_every_prediction_type(s):
    """The combination is affine with weights summing to 1: guiding x0̂ or v̂ gives the same ε̃."""
    cond = MIX.conditional(1)
    for t in (20, 500, 950):
        a = float(AB[t])
        eps = guidance.classifier_free(MIX.model(AB), cond.model(AB), s)(X, t)
        x0 = guidance.classifier_free(_x0_model(MIX), _x0_model(cond), s)(X, t)
        v = guidance.classifier_free(_v_model(MIX), _v_model(cond), s)(X, t)
        np.testing.assert_allclose(dr.eps_from_x0(X, x0, a), eps, rtol=1e-9, atol=1e-11)
        np.testing.assert_allclose(dr.eps_from_v(X, v, a), eps, rtol=1e-9, atol=1e-11)


@pytest.mark.parametrize("prediction_type", ["sample", "v_prediction"])
def test_classifier_guidance_shifts_other_prediction_types_by_the_same_epsilon(prediction_type):
    to_eps = dr.eps_from_x0 if prediction_type == "sample" else dr.eps_from_v
    model = _x0_model(MIX) if prediction_type == "sample" else _v_model(MIX)
    for t in (20, 500, 950):
        a = float(AB[t])
        guided = guidance.classifier_guidance(model, MIX.classifier(AB, 2), 2.5, AB, prediction_type)
        expected = guidance.classifier_guidance(MIX.model(AB), MIX.classifier(AB, 2), 2.5, AB)(X, t)
        np.testing.assert_allclose(to_eps(X, guided(X, t), a), expected, rtol=1e-9, atol=1e-11)


def test_guided_models_run_in_every_registered_sampler():
    guided = guidance.classifier_free(MIX.model(AB), MIX.conditional(1).model(AB), 3.0)
    x_T = np.random.default_rng(1).standard_normal((64, 2))
    for name, run in dr.SAMPLERS.items():
        out = run(guided, x_T, AB, dr.timesteps(1000, 20), rng=np.random.default_rng(2))
        assert np.all(np.isfinite(out)), name
        assert np.mean(out[:, 1] > 1) > 0.9, name  # class 1 is the component at (0, 2)


@pytest.mark.parametrize("call, match", [
    (lambda: guidance.classifier_free(None, None, np.nan), "guidance_scale must be a finite number"),
    (lambda: guidance.classifier_free(None, None, "3"), "guidance_scale must be a finite number"),
    (lambda: guidance.classifier_guidance(None, None, np.inf, AB), "guidance_scale must be a finite number"),
    (lambda: guidance.classifier_guidance(None, None, 1.0, AB, "eps"), "unknown prediction_type"),
    (lambda: guidance.classifier_free(lambda x, t: x, lambda x, t: x[:, :1], 2.0)(X, 5), "shapes"),
    (lambda: guidance.classifier_guidance(lambda x, t: x, lambda x, t: x[:1], 2.0, AB)(X, 5), "shapes"),
    (lambda: MIX.conditional(7), "no component has label 7"),
    (lambda: dr.analytic.toy_mixture("ring").conditional(0), "has no labels"),
    (lambda: GaussianMixture(np.zeros((2, 2)), np.ones(2), labels=[0]), "labels must be 2 integers"),
])
def test_bad_input_is_a_clear_value_error(call, match):
    with pytest.raises(ValueError, match=match):
        call()
