"""The digits FD metric: exact math for the Fréchet distance, and the shipped classifier's behaviour."""
from itertools import pairwise

import numpy as np
import pytest

torch = pytest.importorskip("torch")
from ddim_ref.torch import metrics  # noqa: E402

torch.set_num_threads(1)


@pytest.fixture(scope="module")
def data():
    return metrics.load_digits()


@pytest.fixture(scope="module")
def net():
    return metrics.load_classifier()


@pytest.fixture(scope="module")
def test_feats(data, net):
    return metrics.features(data["x_test"], net)


def _gaussian_samples(rng, mean, cov, n):
    return rng.multivariate_normal(mean, cov, size=n)


def test_fd_of_a_set_with_itself_is_zero(test_feats):
    scale = np.trace(np.cov(test_feats, rowvar=False))
    # √ of round-off in the near-zero eigenvalues (dead ReLU features) limits this to ~1e-8 relative
    assert abs(metrics.frechet_distance(test_feats, test_feats)) < 1e-7 * scale


def test_fd_matches_the_closed_form_in_one_dimension():
    # 1-D: FD = (μa − μb)² + (sa − sb)², sample moments with ddof = 1 as np.cov uses
    rng = np.random.default_rng(0)
    a, b = rng.normal(1.0, 2.0, (500, 1)), rng.normal(-0.5, 0.7, (300, 1))
    expected = (a.mean() - b.mean()) ** 2 + (a.std(ddof=1) - b.std(ddof=1)) ** 2
    assert metrics.frechet_distance(a, b) == pytest.approx(expected, rel=1e-12)


def test_fd_of_a_scaled_copy_is_exact():
    # b = c·a: C_b = c² C_a commutes with C_a, so FD = (1 − c)² (‖μ_a‖² + tr C_a)
    rng = np.random.default_rng(2)
    a = rng.standard_normal((200, 6)) @ rng.standard_normal((6, 6)) + rng.standard_normal(6)
    c = 1.7
    expected = (1 - c) ** 2 * (np.sum(a.mean(0) ** 2) + np.trace(np.cov(a, rowvar=False)))
    assert metrics.frechet_distance(a, c * a) == pytest.approx(expected, rel=1e-9)


def test_fd_matches_the_trace_of_the_square_root_of_ca_cb():
    # independent route: tr((C_a C_b)^½) = Σ √λ_i(C_a C_b); a product of SPD matrices has real eigenvalues > 0
    rng = np.random.default_rng(1)
    a = _gaussian_samples(rng, np.zeros(4), np.cov(rng.standard_normal((4, 9))), 300)
    b = _gaussian_samples(rng, np.ones(4), np.cov(rng.standard_normal((4, 9))), 200)
    c_a, c_b = np.cov(a, rowvar=False), np.cov(b, rowvar=False)
    lam = np.linalg.eigvals(c_a @ c_b).real
    expected = np.sum((a.mean(0) - b.mean(0)) ** 2) + np.trace(c_a + c_b) - 2 * np.sum(lam**0.5)
    assert metrics.frechet_distance(a, b) == pytest.approx(expected, rel=1e-10)
    assert metrics.frechet_distance(b, a) == pytest.approx(expected, rel=1e-10)


def test_fd_grows_with_added_noise(data, net, test_feats):
    rng = np.random.default_rng(0)
    x = data["x_train"][:256]
    fds = [metrics.frechet_distance(metrics.features(x + s * rng.standard_normal(x.shape), net), test_feats)
           for s in (0.0, 0.1, 0.2, 0.4)]
    assert all(lo < hi for lo, hi in pairwise(fds)), fds


def test_floor_is_small_next_to_uniform_noise(data, net, test_feats):
    noise = np.random.default_rng(0).uniform(size=(256, 1, 16, 16))
    fd_noise = metrics.frechet_distance(metrics.features(noise, net), test_feats)
    assert metrics.fd_floor(256, classifier=net, data=data) < 0.1 * fd_noise


def test_evaluate_uses_the_floor_at_the_same_n(data, net):
    # one draw of the floor's protocol, applied to the floor's own train subset, gives the floor itself
    n, seed = 100, 3
    idx = np.random.default_rng(seed).choice(len(data["x_train"]), size=n, replace=False)
    subset = np.concatenate([data["x_train"][idx], data["x_train"][:50]])  # evaluate must use the first n only
    out = metrics.evaluate(subset, n=n, seed=seed, classifier=net, floor_repeats=1)
    assert out["n"] == n
    assert out["fd_floor"] == pytest.approx(metrics.fd_floor(n, seed, net, data, repeats=1), rel=1e-12)
    assert out["fd"] == pytest.approx(out["fd_floor"], rel=1e-9)
    assert out["fd_ratio"] == pytest.approx(1.0, rel=1e-9)
    assert 0.1 <= out["confidence"] <= 1.0


def test_the_floor_is_the_mean_of_its_draws(data, net):
    rng = np.random.default_rng(7)
    train, test = metrics.features(data["x_train"], net), metrics.features(data["x_test"], net)
    draws = [metrics.frechet_distance(train[rng.choice(len(train), size=64, replace=False)], test) for _ in range(4)]
    floor = metrics.fd_floor(64, seed=7, classifier=net, data=data, repeats=4)
    assert floor == pytest.approx(np.mean(draws), rel=1e-12)
    assert metrics.evaluate(data["x_test"][:64], classifier=net, seed=7, floor_repeats=4)["fd_floor"] == pytest.approx(
        np.mean(draws), rel=1e-12)


def test_floor_shrinks_with_n(data, net):
    assert metrics.fd_floor(64, classifier=net, data=data) > metrics.fd_floor(512, classifier=net, data=data)


@pytest.mark.parametrize("repeats", [0, 1.5, True])
def test_bad_repeats_are_refused(repeats, data, net):
    with pytest.raises(ValueError):
        metrics.fd_floor(64, classifier=net, data=data, repeats=repeats)


def test_the_shipped_classifier_is_accurate_on_the_test_split(data, net):
    assert metrics.accuracy(net, data) > 0.9


def test_confidence_is_lower_on_noise_than_on_digits(data, net):
    noise = np.random.default_rng(0).uniform(size=(200, 1, 16, 16))
    conf = lambda x: metrics.features_and_probs(x, net)[1].max(1).mean()  # noqa: E731
    assert conf(data["x_test"]) > conf(noise)


def test_the_shipped_file_is_a_plain_state_dict():
    state = torch.load(metrics.CLASSIFIER_PATH, map_location="cpu", weights_only=True)
    assert set(state) == set(metrics.DigitsClassifier().state_dict())


def test_training_is_deterministic():
    a = metrics.train_classifier(epochs=1, seed=5).state_dict()
    b = metrics.train_classifier(epochs=1, seed=5).state_dict()
    assert all(torch.equal(a[k], b[k]) for k in a)


@pytest.mark.parametrize("bad", [np.zeros((10, 16, 16)), np.zeros((10, 1, 8, 8)), np.zeros((1, 1, 16, 16)),
                                 np.full((4, 1, 16, 16), np.nan)])
def test_bad_images_are_refused(bad, net):
    with pytest.raises(ValueError):
        metrics.evaluate(bad, classifier=net)


@pytest.mark.parametrize("n", [0, 1, 11, 2.5, True])
def test_bad_n_is_refused(n, data, net):
    with pytest.raises(ValueError):
        metrics.evaluate(data["x_test"][:10], n=n, classifier=net)


def test_bad_feature_sets_are_refused():
    with pytest.raises(ValueError):
        metrics.frechet_distance(np.zeros((5, 3)), np.zeros((5, 4)))
    with pytest.raises(ValueError):
        metrics.frechet_distance(np.zeros((1, 3)), np.zeros((5, 3)))
