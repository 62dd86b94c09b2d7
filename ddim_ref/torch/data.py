"""Training data for ``python -m ddim_ref train --data``: the shipped digits, a 2-D toy mixture, or your own images.

    digits        data/digits16.npz's train split, (1497, 1, 16, 16) in [−1, 1], with labels
    gmm:NAME      8192 exact samples of ``ddim_ref.analytic.toy_mixture(NAME)``, (8192, 2)
    FOLDER        every PNG/JPEG below FOLDER (recursively, in sorted path order), converted to
                  ``channels`` (1 = grey "L", 3 = "RGB"), resized so the short side is ``image_size``
                  (bicubic) and centre-cropped to image_size × image_size
    FILE.npz      its ``x_train``: (N, C, H, W) or (N, H, W, C) (C ≤ 4 last is read as channels-last),
                  uint8 (0 … 255) or float in [0, 1]; square, a power-of-two side

Images become float32 tensors in [−1, 1], (N, C, H, W). Every refusal (a missing or empty folder, a
file that is not an image, no ``x_train``, a wrong rank, NaN, a size that is not a power of two) is
a one-line ``ValueError`` raised before anything is written. Pillow is imported only for folders.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg")
DIGITS = Path(__file__).resolve().parents[2] / "data" / "digits16.npz"


def _is_power_of_two(n: int) -> bool:
    return n >= 2 and n & (n - 1) == 0


def check_image_size(image_size: int) -> int:
    if isinstance(image_size, bool) or not isinstance(image_size, (int, np.integer)) \
            or not _is_power_of_two(int(image_size)) or image_size > 1024:
        raise ValueError(f"image_size must be a power of two in [2, 1024], got {image_size!r}")
    return int(image_size)


def image_files(folder) -> list[Path]:
    """The PNG/JPEG files below ``folder``, sorted; a ValueError if there is none."""
    folder = Path(folder)
    if not folder.is_dir():
        raise ValueError(f"image folder not found: {folder}")
    files = sorted(p for p in folder.rglob("*") if p.is_file() and p.suffix.lower() in IMAGE_SUFFIXES)
    if not files:
        raise ValueError(f"no PNG or JPEG images in {folder} (searched recursively)")
    return files


def load_image(path, image_size: int, channels: int) -> np.ndarray:
    """One image as float32 (C, H, W) in [0, 1]: converted, short side resized to image_size, centre-cropped."""
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(path) as im:
            im = im.convert("L" if channels == 1 else "RGB")
            w, h = im.size
            scale = image_size / min(w, h)
            size = (max(image_size, round(w * scale)), max(image_size, round(h * scale)))
            im = im.resize(size, Image.Resampling.BICUBIC)
            left, top = (size[0] - image_size) // 2, (size[1] - image_size) // 2
            im = im.crop((left, top, left + image_size, top + image_size))
            x = np.asarray(im, dtype=np.float32) / 255.0
    except (UnidentifiedImageError, OSError) as e:
        raise ValueError(f"{path} is not a readable image ({type(e).__name__})") from None
    return x[None] if channels == 1 else x.transpose(2, 0, 1)


def load_folder(folder, image_size: int, channels: int) -> np.ndarray:
    """Every image below ``folder`` as (N, C, image_size, image_size) float32 in [0, 1]."""
    image_size = check_image_size(image_size)
    if channels not in (1, 3):
        raise ValueError(f"channels must be 1 (grey) or 3 (RGB), got {channels!r}")
    return np.stack([load_image(p, image_size, channels) for p in image_files(folder)])


def load_npz(path) -> np.ndarray:
    """``x_train`` of an .npz as (N, C, H, W) float32 in [0, 1], after checking its rank, range and size."""
    path = Path(path)
    if not path.is_file():
        raise ValueError(f"data file not found: {path}")
    try:
        with np.load(path, allow_pickle=False) as f:
            if "x_train" not in f:
                raise ValueError(f"{path} has no array x_train (found: {', '.join(f.files) or 'nothing'})")
            x = f["x_train"]
    except (OSError, EOFError) as e:
        raise ValueError(f"{path} is not a readable .npz file ({type(e).__name__})") from None
    if x.ndim != 4:
        raise ValueError(f"x_train must have rank 4, (N, C, H, W) or (N, H, W, C); got shape {x.shape}")
    if x.shape[-1] <= 4 < x.shape[1]:  # channels-last
        x = x.transpose(0, 3, 1, 2)
    if x.dtype == np.uint8:
        x = x.astype(np.float32) / 255.0
    elif np.issubdtype(x.dtype, np.floating):
        x = x.astype(np.float32)
        if not np.all(np.isfinite(x)):
            raise ValueError("x_train contains NaN or inf")
        if x.min() < 0 or x.max() > 1:
            raise ValueError(f"float x_train must lie in [0, 1], got [{x.min():.3g}, {x.max():.3g}]")
    else:
        raise ValueError(f"x_train must be uint8 or float, got {x.dtype}")
    n, c, h, w = x.shape
    if n < 1 or c not in (1, 3, 4) or h != w or not _is_power_of_two(h):
        raise ValueError(f"x_train images must be square with a power-of-two side and 1, 3 or 4 channels, "
                         f"got shape {x.shape}")
    return x


def images_of(source: str, image_size: int = 16, channels: int = 1) -> np.ndarray:
    """The images of ``--data`` (a folder or an .npz) in [0, 1], (N, C, H, W) float32."""
    path = Path(source)
    if path.suffix.lower() == ".npz":
        return load_npz(path)
    return load_folder(path, image_size, channels)


def export_images(images, folder, prefix: str = "img") -> list[Path]:
    """Write (N, C, H, W) images in [0, 1] as PNGs ``prefix_00000.png`` … into ``folder`` (made if missing)."""
    from PIL import Image

    x = np.asarray(images, dtype=np.float64)
    if x.ndim != 4 or x.shape[1] not in (1, 3):
        raise ValueError(f"images must have shape (N, 1 or 3, H, W), got {x.shape}")
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    pixels = (x.clip(0, 1) * 255).round().astype(np.uint8)
    paths = []
    for i, img in enumerate(pixels):
        path = folder / f"{prefix}_{i:05d}.png"
        Image.fromarray(img[0] if img.shape[0] == 1 else img.transpose(1, 2, 0)).save(path)
        paths.append(path)
    return paths
