"""The data sets of the trade-off study: a model, its schedule, x_T, and how to score samples.

``gmm`` (a 2-D toy mixture) and ``gaussian`` (a 2-D Gaussian with its closed-form flow map) run
their exact denoisers, so all error is discretisation; ``digits`` runs the shipped U-Net and is
scored by the FD of ``ddim_ref.torch.metrics``. Each metric comes with its noise floor, measured
the same way (:mod:`ddim_ref.metrics`).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ... import metrics
from ...analytic import Gaussian, toy_mixture
from ...schedules import alpha_bars as _alpha_bars
from ...schedules import beta_schedule

DATASETS = ("gmm", "gaussian", "digits")
HEADLINE = {"gmm": "energy", "gaussian": "rms_flow", "digits": "fd"}


@dataclass
class Problem:
    """One data set at one seed: its model, schedule, x_T, and how to score a batch of samples."""

    name: str
    model: object          # model(x_t, t) -> ε̂
    alpha_bars: np.ndarray
    x_T: object
    score: object          # score(x_0, tau0, deterministic) -> {metric: value}
    floors: dict           # metric -> noise floor
    make_rng: object = np.random.default_rng  # make_rng(int) -> the noise source of one run
    to_pixels: object = None                  # samples -> the metric's units (digits: [0, 1])


def gaussian_data() -> Gaussian:
    """A 2-D Gaussian with standard deviations 1 and 0.1 along rotated axes: the thin one shows DDIM's error."""
    a = np.pi / 6
    u = np.array([[np.cos(a), -np.sin(a)], [np.sin(a), np.cos(a)]])
    return Gaussian([0.5, -0.5], u @ np.diag([1.0, 0.01]) @ u.T)


def exact_data(data: str, mixture: str = "ring"):
    """The exact distribution of ``gmm`` (a named toy mixture) or ``gaussian``."""
    return toy_mixture(mixture) if data == "gmm" else gaussian_data()


def _sample_metrics(truth, draw_rng, num, repeats=5):
    """Energy distance and SW₂ to one fresh exact set y; floors: ``repeats`` more exact sets scored against y."""
    y = truth.sample(num, draw_rng)
    floors = {name: metrics.noise_floor(f, truth.sample, num, draw_rng, reference=y, repeats=repeats)
              for name, f in metrics.METRICS.items()}

    def score(x0):
        return {name: f(x0, y) for name, f in metrics.METRICS.items()}

    return score, floors


def analytic_problem(data: str, num: int, seed: int, mixture: str = "ring", num_train_steps: int = 1000) -> Problem:
    """``gmm`` or ``gaussian`` with the exact denoiser, the linear β schedule and x_T ~ N(0, I) from ``seed``."""
    ab = _alpha_bars(beta_schedule("linear", num_train_steps))
    truth = exact_data(data, mixture)
    x_T = np.random.default_rng(seed).standard_normal((num, truth.dim))
    sample_score, floors = _sample_metrics(truth, np.random.default_rng([seed, 1]), num)

    def score(x0, tau0, deterministic):
        out = sample_score(x0)
        if data == "gaussian" and deterministic:  # the ODE's exact end point from the same x_T
            out["rms_flow"] = metrics.rms_error(x0, truth.flow_map(x_T, ab[tau0], 1.0))
        return out

    if data == "gaussian":
        floors["rms_flow"] = 0.0
    return Problem(data, truth.model(ab), ab, x_T, score, floors, to_pixels=lambda x: x)


def digits_problem(num: int, seed: int, checkpoint=None, threads: int = 1) -> Problem:
    """The U-Net on x_T ~ N(0, I) from ``seed``, scored against the digits16 splits:

    ``fd``        FD of the classifier features vs the test split (floor: n real train digits, 30 draws)
    ``noisy``     share of samples whose total variation exceeds every real train digit's (floor: the test digits')
    ``nn_ratio``  median distance from a sample to its nearest train digit over the same for the test digits
                  (floor 1; well below 1 would mean samples copy the training set)
    """
    import torch

    from ...torch import metrics as tmetrics
    from ...torch.ddim import DDIM

    torch.set_num_threads(threads)
    ddim = DDIM.from_checkpoint(checkpoint)
    if ddim.prediction_type != "epsilon":
        raise ValueError(f"the tradeoff study expects an epsilon-prediction checkpoint, got {ddim.prediction_type!r}")
    x_T = torch.randn((num, *ddim.sample_shape), generator=torch.Generator().manual_seed(seed))
    classifier, data = tmetrics.load_classifier(), tmetrics.load_digits()
    test_features = tmetrics.features(data["x_test"], classifier)
    threshold = tmetrics.noise_threshold(data)
    test_nn = float(np.median(metrics.nearest_distance(data["x_test"], data["x_train"])))
    floors = {"fd": tmetrics.fd_floor(num, seed, classifier, data),
              "noisy": metrics.noisy_fraction(data["x_test"], threshold), "nn_ratio": 1.0}

    def to_pixels(x):
        return metrics.to_images(x.double()).numpy()

    def score(x0, tau0, deterministic):
        images = to_pixels(x0)
        nn = float(np.median(metrics.nearest_distance(images, data["x_train"])))
        return {"fd": tmetrics.frechet_distance(tmetrics.features(images, classifier), test_features),
                "noisy": metrics.noisy_fraction(images, threshold), "nn_ratio": nn / test_nn}

    def make_rng(key):
        return torch.Generator().manual_seed(key)

    return Problem("digits", ddim.model, ddim.alpha_bars, x_T, score, floors, make_rng, to_pixels)


def make_problem(data: str, num: int, seed: int, mixture: str = "ring", checkpoint=None, threads: int = 1) -> Problem:
    """The named problem at one seed."""
    if data == "digits":
        return digits_problem(num, seed, checkpoint, threads)
    return analytic_problem(data, num, seed, mixture)
