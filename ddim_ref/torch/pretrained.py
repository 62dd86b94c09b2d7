"""Published diffusers models under the reference samplers: ``load_diffusers(path) -> (model, sampler_config)``.

A diffusers-format folder is either a pipeline (``model_index.json`` beside ``unet/`` and
``scheduler/``, as ``google/ddpm-cifar10-32`` is published) or a bare ``UNet2DModel`` folder
(``config.json`` and its weights) with a ``scheduler_config.json`` beside them. The network is
rebuilt from its config (``UNet2DModel.from_config``: no code from the folder runs) and its weights
are read with ``safetensors`` or ``torch.load(weights_only=True)``. The scheduler config becomes a
:class:`~ddim_ref.interop.SamplerConfig` (``from_diffusers_config``): the β schedule, timestep
spacing, ``steps_offset``, ``set_alpha_to_one``, clipping and thresholding of the published sampler.

diffusers is needed here only (to rebuild the network); without it the loader says what to install.
"""
from __future__ import annotations

import json
import warnings
from pathlib import Path

import torch

from ..interop import from_diffusers_config
from .ddim import CHUNK
from .ddim import as_model as network_model

WEIGHTS = ("diffusion_pytorch_model.safetensors", "diffusion_pytorch_model.bin")
SUPPORTED = ("UNet2DModel",)


def _read_json(path: Path) -> dict:
    try:
        return json.loads(path.read_text())
    except (OSError, json.JSONDecodeError) as e:
        raise ValueError(f"{path} is not a readable JSON file ({type(e).__name__})") from None


def _folders(path: Path):
    """(unet folder, scheduler config file) of a pipeline folder or a bare model folder."""
    if not path.is_dir():
        raise ValueError(f"diffusers model folder not found: {path}")
    if (path / "model_index.json").is_file():
        unet, scheduler = path / "unet", path / "scheduler" / "scheduler_config.json"
    else:
        unet, scheduler = path, path / "scheduler_config.json"
    for needed in (unet / "config.json", scheduler):
        if not needed.is_file():
            raise ValueError(f"{path} is not a diffusers model folder: {needed.relative_to(path)} is missing")
    return unet, scheduler


def _state_dict(unet_folder: Path) -> dict:
    for name in WEIGHTS:
        file = unet_folder / name
        if file.is_file():
            try:
                if file.suffix == ".safetensors":
                    from safetensors.torch import load_file

                    return load_file(str(file))
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    return torch.load(file, map_location="cpu", weights_only=True)
            except Exception as e:  # a pickle with code in it, a truncated file, …: refused in one line
                reason = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
                raise ValueError(f"{file} holds no readable weights ({reason[:160]})") from None
    raise ValueError(f"{unet_folder} has no weights ({' or '.join(WEIGHTS)})")


def load_unet(unet_folder, dtype=torch.float32):
    """The folder's ``UNet2DModel``, rebuilt from its config with the saved weights, in eval mode."""
    unet_folder = Path(unet_folder)
    config = _read_json(unet_folder / "config.json")
    cls = config.get("_class_name")
    if cls not in SUPPORTED:
        raise ValueError(f"{unet_folder}: only {', '.join(SUPPORTED)} networks are supported, got {cls!r}")
    try:
        from diffusers import UNet2DModel
    except ImportError:
        raise ValueError("loading a diffusers model needs the diffusers package: pip install diffusers") from None
    unet = UNet2DModel.from_config(config)
    try:
        unet.load_state_dict(_state_dict(unet_folder))
    except RuntimeError as e:
        raise ValueError(f"{unet_folder}: weights do not fit its config ({str(e).splitlines()[0][:160]})") from None
    return unet.to(dtype).eval()


def as_model(unet, chunk: int = CHUNK):
    """``model(x_t, t)`` → ``unet(x_t, t).sample`` without grad, ``chunk`` samples per call (as ``ddim.as_model``)."""
    model = network_model(lambda x, t: unet(x, t).sample, chunk=chunk)
    model.network = unet
    return model


def load_diffusers(path, dtype=torch.float32):
    """(model, sampler_config) of a diffusers-format folder; ``model.network`` is the UNet2DModel.

    ``sampler_config.sample(model, x_T, num_steps, eta=...)`` reruns the published sampler with the
    reference loop; ``sampler_config.common_kwargs`` feed any other registered sampler.
    """
    unet_folder, scheduler_file = _folders(Path(path))
    config = from_diffusers_config(_read_json(scheduler_file))
    return as_model(load_unet(unet_folder, dtype)), config


def sample_shape(model) -> tuple:
    """(C, H, W) of one sample of a loaded model."""
    config = model.network.config
    size = config.sample_size if isinstance(config.sample_size, int) else tuple(config.sample_size)[0]
    return (config.in_channels, size, size)


__all__ = ["as_model", "load_diffusers", "load_unet", "sample_shape"]
