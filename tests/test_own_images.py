"""Training on your own images (a PNG/JPEG folder, grey or RGB, or an .npz); every refusal one line, nothing written."""
import numpy as np
import pytest
import torch
from PIL import Image

from ddim_ref.cli import main
from ddim_ref.torch import DDIM
from ddim_ref.torch.data import export_images, images_of, load_image

torch.set_num_threads(1)
TINY = ["--steps", "3", "--base-channels", "8", "--channel-mults", "1,2", "--batch-size", "4", "--warmup", "1",
        "--no-progress", "--threads", "1"]


@pytest.fixture(scope="module")
def folders(tmp_path_factory):
    """An RGB folder (PNG and JPEG, nested, non-square) and a grey one, generated here."""
    rng = np.random.default_rng(0)
    rgb, grey = tmp_path_factory.mktemp("rgb"), tmp_path_factory.mktemp("grey")
    (rgb / "nested").mkdir()
    for i in range(5):
        pixels = rng.integers(0, 256, size=(12 + i, 20, 3), dtype=np.uint8)
        Image.fromarray(pixels).save(rgb / ("nested" if i % 2 else ".") / f"im{i}.{'jpg' if i == 3 else 'png'}")
        Image.fromarray(pixels[..., 0]).save(grey / f"g{i}.png")
    (rgb / "notes.txt").write_text("not an image, not a PNG/JPEG name: ignored")
    return rgb, grey


def test_a_folder_is_resized_and_centre_cropped_reproducibly(folders):
    rgb, grey = folders
    x = images_of(rgb, image_size=8, channels=3)
    assert x.shape == (5, 3, 8, 8) and x.dtype == np.float32 and x.min() >= 0 and x.max() <= 1
    np.testing.assert_array_equal(x, images_of(rgb, image_size=8, channels=3))
    assert images_of(grey, image_size=4, channels=1).shape == (5, 1, 4, 4)
    assert images_of(grey, image_size=8, channels=3).shape == (5, 3, 8, 8)  # grey converted to RGB
    # a 16×20 image: short side to 8 → 8×10, centre crop drops one column each side
    Image.fromarray(np.tile(np.arange(20, dtype=np.uint8) * 12, (16, 1))).save(grey / "ramp.png")
    ramp = load_image(grey / "ramp.png", 8, 1)
    assert ramp.shape == (1, 8, 8) and ramp[0, 0, 0] > 0.05  # the left edge (value 0) was cropped away
    (grey / "ramp.png").unlink()


@pytest.mark.parametrize("kind, channels", [("rgb", 3), ("grey", 1)])
def test_train_sample_and_load_a_checkpoint_of_your_images(folders, tmp_path, kind, channels, capsys):
    folder = folders[0] if kind == "rgb" else folders[1]
    out = tmp_path / "run"
    assert main(["train", "--data", str(folder), "--image-size", "8", "--channels", str(channels), "--out", str(out),
                 *TINY]) == 0
    ddim = DDIM.from_checkpoint(out / "model.pt")
    assert ddim.sample_shape == (channels, 8, 8)
    x_0 = ddim(torch.randn((2, channels, 8, 8), generator=torch.Generator().manual_seed(0)), num_steps=3)
    assert x_0.shape == (2, channels, 8, 8) and torch.isfinite(x_0).all()
    grid = tmp_path / "grid.png"
    assert main(["sample", "--checkpoint", str(out / "model.pt"), "--steps", "3", "--num", "4", "--out",
                 str(grid)]) == 0
    assert np.asarray(Image.open(grid)).ndim == 3  # a colour (RGBA) PNG even for grey samples' grid
    npy = tmp_path / "s.npy"
    assert main(["sample", "--checkpoint", str(out / "model.pt"), "--steps", "2", "--num", "3", "--out",
                 str(npy)]) == 0
    assert np.load(npy).shape == (3, channels, 8, 8)


@pytest.mark.parametrize("layout", ["nchw_float", "nhwc_uint8"])
def test_an_npz_trains_in_either_layout(tmp_path, layout):
    rng = np.random.default_rng(1)
    x = rng.random((6, 3, 8, 8)).astype(np.float32)
    data = x if layout == "nchw_float" else (x.transpose(0, 2, 3, 1) * 255).astype(np.uint8)
    np.savez(tmp_path / "d.npz", x_train=data)
    loaded = images_of(tmp_path / "d.npz")
    assert loaded.shape == (6, 3, 8, 8)
    np.testing.assert_allclose(loaded, x, atol=1 / 255 if layout == "nhwc_uint8" else 0)
    assert main(["train", "--data", str(tmp_path / "d.npz"), "--out", str(tmp_path / "run"), *TINY]) == 0


def test_the_digits_round_trip_through_pngs(tmp_path):
    """The README's worked example: export the digits as PNGs, read them back as a folder."""
    digits = np.load("data/digits16.npz")["x_train"][:20]
    export_images(digits, tmp_path / "png", prefix="digit")
    back = images_of(tmp_path / "png", image_size=16, channels=1)
    np.testing.assert_allclose(back, digits, atol=0.5 / 255 + 1e-6)


def _bad_cases(tmp_path):
    (tmp_path / "empty").mkdir()
    (tmp_path / "junk").mkdir()
    (tmp_path / "junk" / "broken.png").write_bytes(b"\x89PNG not really")
    np.savez(tmp_path / "no_x.npz", y=np.zeros(3))
    np.savez(tmp_path / "rank3.npz", x_train=np.zeros((4, 8, 8), np.float32))
    nan = np.zeros((2, 1, 8, 8), np.float32)
    nan[0, 0, 0, 0] = np.nan
    np.savez(tmp_path / "nan.npz", x_train=nan)
    np.savez(tmp_path / "size12.npz", x_train=np.zeros((2, 1, 12, 12), np.float32))
    np.savez(tmp_path / "range.npz", x_train=np.full((2, 1, 8, 8), 2.0, np.float32))
    return [
        (["--data", str(tmp_path / "missing")], "expected digits, gmm:NAME"),
        (["--data", str(tmp_path / "empty")], "no PNG or JPEG images"),
        (["--data", str(tmp_path / "junk")], "is not a readable image"),
        (["--data", str(tmp_path / "no_x.npz")], "has no array x_train"),
        (["--data", str(tmp_path / "rank3.npz")], "must have rank 4"),
        (["--data", str(tmp_path / "nan.npz")], "NaN"),
        (["--data", str(tmp_path / "size12.npz")], "power-of-two side"),
        (["--data", str(tmp_path / "range.npz")], "must lie in [0, 1]"),
        (["--data", str(tmp_path / "empty"), "--image-size", "24"], "power of two"),
        (["--data", str(tmp_path / "empty"), "--channels", "2"], "expected one of 1, 3"),
    ]


def test_every_refusal_is_one_line_exit_2_and_nothing_is_written(tmp_path, capsys):
    for argv, message in _bad_cases(tmp_path):
        out = tmp_path / "never"
        assert main(["train", *argv, "--out", str(out), *TINY]) == 2, argv
        err = capsys.readouterr().err
        assert message in err and len(err.strip().splitlines()) == 1 and "Traceback" not in err, (argv, err)
        assert not out.exists(), argv
