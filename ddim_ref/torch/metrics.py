"""A quality metric for generated digits: Fréchet distance (FD) of a small classifier's features.

FID (Heusel et al. 2017) with the Inception network swapped for a digits CNN trained on
``data/digits16.npz``'s train split. Notation:

    f(x) ∈ ℝ^d                penultimate activations of the classifier (d = FEATURE_DIM)
    μ_a, C_a / μ_b, C_b       mean and covariance of f over sets a and b (float64)
    FD(a, b) = ‖μ_a − μ_b‖² + tr(C_a + C_b − 2 (C_a^½ C_b C_a^½)^½)             (1)
    floor(n) = mean over R draws of FD(n train images, test split)                (2)
    confidence = mean over samples of max_k softmax(logits)_k                      (3)

FD is biased upward at small n, so a score only means something next to the floor (2), measured
at the same n with the same protocol: a generator whose samples were as good as real digits
unseen by the test split would score ≈ floor. At n = 256 one draw of (2) scatters by ±30 %
(std 6 around 21 for the shipped classifier), so the floor averages R = 30 seeded train subsets;
a single FD of n samples scatters as much. Images are in the data set's range [0, 1], shape
(N, 1, 16, 16).

    python -m ddim_ref classifier              # test accuracy and the FD floor of the shipped classifier
    python -m ddim_ref classifier --retrain    # retrains data/digits_classifier.pt (≈ 12 s CPU)
"""
from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import torch
from torch import nn

from ..metrics import frechet_distance, noisy_fraction, total_variation
from ..metrics import to_images as to_images  # re-exported: samples in [−1, 1] → the classifier's [0, 1]

DATA_DIR = Path(__file__).resolve().parents[2] / "data"
DIGITS_PATH = DATA_DIR / "digits16.npz"
CLASSIFIER_PATH = DATA_DIR / "digits_classifier.pt"
FEATURE_DIM = 32


class DigitsClassifier(nn.Module):
    """A small CNN for 16×16 digits; ``features`` is the penultimate layer FD is computed on."""

    def __init__(self, feature_dim: int = FEATURE_DIM):
        super().__init__()
        self.body = nn.Sequential(
            nn.Conv2d(1, 8, 3, padding=1), nn.ReLU(),                # (B, 8, 16, 16)
            nn.Conv2d(8, 16, 3, stride=2, padding=1), nn.ReLU(),     # (B, 16, 8, 8)
            nn.Conv2d(16, 32, 3, stride=2, padding=1), nn.ReLU(),    # (B, 32, 4, 4)
            nn.Flatten(),                                            # (B, 512)
            nn.Linear(32 * 4 * 4, feature_dim), nn.ReLU(),           # (B, d) the features f(x)
        )
        self.head = nn.Linear(feature_dim, 10)                       # (B, 10) logits

    def features(self, x: torch.Tensor) -> torch.Tensor:
        """f(x): (B, 1, 16, 16) images in [0, 1] → (B, d)."""
        return self.body(x)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.features(x))


def load_digits(path=DIGITS_PATH) -> dict:
    """The digits16 splits as float32 / int64 NumPy arrays (x in [0, 1], shape (N, 1, 16, 16))."""
    with np.load(path) as d:
        return {k: d[k] for k in ("x_train", "y_train", "x_test", "y_test")}


def train_classifier(epochs: int = 30, batch_size: int = 64, lr: float = 2e-3, seed: int = 0,
                     max_shift: int = 1) -> DigitsClassifier:
    """Train on the train split with Adam and random ±``max_shift``-pixel shifts; seeded and deterministic on CPU."""
    data = load_digits()
    x, y = torch.from_numpy(data["x_train"]), torch.from_numpy(data["y_train"])
    g = torch.Generator().manual_seed(seed)
    torch.manual_seed(seed)  # the layers' initialisation
    net = DigitsClassifier()
    opt = torch.optim.Adam(net.parameters(), lr=lr)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, epochs * -(-len(x) // batch_size))
    for _ in range(epochs):
        for idx in torch.randperm(len(x), generator=g).split(batch_size):
            dx, dy = torch.randint(-max_shift, max_shift + 1, (2,), generator=g).tolist()
            xb = torch.roll(x[idx], shifts=(dx, dy), dims=(2, 3))  # digits have an empty border
            loss = nn.functional.cross_entropy(net(xb), y[idx])
            opt.zero_grad()
            loss.backward()
            opt.step()
            sched.step()
    return net.eval()


def load_classifier(path=CLASSIFIER_PATH) -> DigitsClassifier:
    """The shipped classifier (a plain state dict, loaded with ``weights_only=True``)."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"no classifier at {path}; run: python -m ddim_ref classifier --retrain")
    net = DigitsClassifier()
    net.load_state_dict(torch.load(path, map_location="cpu", weights_only=True))
    return net.eval()


def _as_images(images) -> torch.Tensor:
    x = torch.as_tensor(np.asarray(images, dtype=np.float32) if not torch.is_tensor(images) else images)
    if x.ndim != 4 or tuple(x.shape[1:]) != (1, 16, 16):
        raise ValueError(f"images must have shape (N, 1, 16, 16), got {tuple(x.shape)}")
    if len(x) < 2:
        raise ValueError(f"need at least 2 images for a covariance, got {len(x)}")
    if not torch.isfinite(x).all():
        raise ValueError("images contain NaN or inf")
    return x.detach().float().cpu()


@torch.no_grad()
def features_and_probs(images, classifier=None, batch_size: int = 512):
    """(f(x), softmax) as float64 NumPy arrays of shapes (N, d) and (N, 10)."""
    net = classifier if classifier is not None else load_classifier()
    x = _as_images(images)
    feats = torch.cat([net.features(b) for b in x.split(batch_size)])
    probs = net.head(feats).softmax(-1)
    return feats.double().numpy(), probs.double().numpy()


def features(images, classifier=None) -> np.ndarray:
    """f(x), (N, d) float64."""
    return features_and_probs(images, classifier)[0]


def fd_floor_draws(n: int, seed: int = 0, classifier=None, data=None, repeats: int = 30) -> np.ndarray:
    """Eq. 2's draws: the FD of ``repeats`` sets of ``n`` train images (each without replacement) vs the test split."""
    data = load_digits() if data is None else data
    n = _check_n(n, len(data["x_train"]))
    if isinstance(repeats, bool) or int(repeats) != repeats or repeats < 1:
        raise ValueError(f"repeats must be a positive integer, got {repeats}")
    net = classifier if classifier is not None else load_classifier()
    train, test = features(data["x_train"], net), features(data["x_test"], net)
    rng = np.random.default_rng(seed)
    return np.array([frechet_distance(train[rng.choice(len(train), size=n, replace=False)], test)
                     for _ in range(int(repeats))])


def fd_floor(n: int, seed: int = 0, classifier=None, data=None, repeats: int = 30) -> float:
    """Eq. 2: the mean of :func:`fd_floor_draws` — the FD a generator as good as real digits would score."""
    return float(np.mean(fd_floor_draws(n, seed, classifier, data, repeats)))


def noise_threshold(data=None) -> float:
    """The largest total variation of a real (train) digit: a sample above it keeps visible noise."""
    data = load_digits() if data is None else data
    return float(total_variation(data["x_train"]).max())


def _check_n(n, available: int) -> int:
    if isinstance(n, bool) or int(n) != n or not 2 <= n <= available:
        raise ValueError(f"n must be an integer in [2, {available}], got {n}")
    return int(n)


def accuracy(classifier=None, data=None) -> float:
    """The classifier's accuracy on the test split."""
    data = load_digits() if data is None else data
    _, probs = features_and_probs(data["x_test"], classifier)
    return float(np.mean(probs.argmax(1) == data["y_test"]))


def evaluate(samples, n: int | None = None, seed: int = 0, classifier=None, floor_repeats: int = 30) -> dict:
    """FD of the samples vs the test split, next to its floor (2) at the same n; confidence (3); noisy share.

    ``samples`` is one set (N, 1, 16, 16) or a list of sets, one per seed: then ``fd`` is their mean
    and ``fd_sd`` their standard deviation (ddof 1). ``fd_floor_sd`` is the scatter of one draw of
    (2), i.e. how much a single FD of n real digits varies; ``noisy`` the share of samples above
    :func:`noise_threshold`.
    """
    sets = [_as_images(s) for s in (samples if isinstance(samples, (list, tuple)) else [samples])]
    n = _check_n(min(len(x) for x in sets) if n is None else n, min(len(x) for x in sets))
    data = load_digits()
    net = classifier if classifier is not None else load_classifier()
    test = features(data["x_test"], net)
    fds, confidences, noisy = [], [], []
    threshold = noise_threshold(data)
    for x in sets:
        feats, probs = features_and_probs(x[:n], net)
        fds.append(frechet_distance(feats, test))
        confidences.append(float(probs.max(1).mean()))
        noisy.append(noisy_fraction(x[:n].numpy(), threshold))
    draws = fd_floor_draws(n, seed, net, data, floor_repeats)
    fd, floor = float(np.mean(fds)), float(np.mean(draws))
    return {"n": n, "seeds": len(sets), "fd": fd, "fd_sd": float(np.std(fds, ddof=1)) if len(fds) > 1 else math.nan,
            "fds": fds, "fd_floor": floor, "fd_floor_sd": float(np.std(draws, ddof=1)) if len(draws) > 1 else math.nan,
            "fd_ratio": fd / floor, "confidence": float(np.mean(confidences)), "noisy": float(np.mean(noisy))}
