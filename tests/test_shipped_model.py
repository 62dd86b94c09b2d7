"""Guards on the shipped digits checkpoint: clean samples on every spacing, and no copies of the training set.

Small n, so the thresholds are loose; the full measurements (n = 512, several seeds) are in results/digits.
"""
import numpy as np
import pytest
import torch

from ddim_ref import SPACINGS, metrics
from ddim_ref.torch import DDIM
from ddim_ref.torch.metrics import load_digits, noise_threshold

torch.set_num_threads(2)
N = 64


@pytest.fixture(scope="module")
def model():
    return DDIM.from_checkpoint()


@pytest.fixture(scope="module")
def x_T():
    return torch.randn((N, 1, 16, 16), generator=torch.Generator().manual_seed(0))


@pytest.mark.parametrize("spacing", SPACINGS)
def test_ddim_samples_keep_no_visible_noise_on_any_spacing(model, x_T, spacing):
    """η = 0, S = 50: at most one of 64 samples rougher than the roughest real digit (results: ≤ 1 % at n = 512)."""
    x_0 = model(x_T, num_steps=50, spacing=spacing)
    images = metrics.to_images(x_0.double()).numpy()
    tv = metrics.total_variation(images)
    assert (tv > noise_threshold()).sum() <= 1, np.sort(tv)[-3:]


def test_the_default_sampler_gives_clean_samples(model, x_T):
    """DDIM.forward's defaults (trailing τ) at S = 20: none of 64 samples noisy."""
    images = metrics.to_images(model(x_T, num_steps=20).double()).numpy()
    assert metrics.noisy_fraction(images, noise_threshold()) == 0.0


def test_samples_sit_no_closer_to_the_training_set_than_test_digits_do(model):
    """Nearest-train-digit distances of 128 samples against those of the 300 unseen test digits.

    A memorising model would put its samples on top of training digits (distance → 0); a
    generalising one keeps them about as far as new real digits are.
    """
    data = load_digits()
    x_T = torch.randn((128, 1, 16, 16), generator=torch.Generator().manual_seed(1))
    images = metrics.to_images(model(x_T, num_steps=20).double()).numpy()
    samples = metrics.nearest_distance(images, data["x_train"])
    test = metrics.nearest_distance(data["x_test"], data["x_train"])
    assert np.median(samples) >= 0.85 * np.median(test)
    assert np.quantile(samples, 0.05) >= 0.7 * np.quantile(test, 0.05)  # no cluster of near-copies either
