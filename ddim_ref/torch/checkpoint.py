"""Checkpoints that are safe to open: plain dicts of tensors and numbers, read with ``weights_only=True``.

A checkpoint is one ``torch.save`` file holding

    {"format": "ddim_ref.checkpoint/1",
     "config": {"model": {"kind": "unet" | "mlp", **UNetConfig / MLPConfig fields},
                "schedule": {"name": "linear", "T": 1000, "beta_start": 1e-4, "beta_end": 0.02},
                "prediction_type": "epsilon", ...},
     "state_dict": {name: tensor},       # the weights to sample with (the EMA weights after training)
     **extra}                            # e.g. "train_state" to resume training

Loading never runs code from the file: ``torch.load(weights_only=True)`` refuses any pickled
object that is not a tensor or a plain container, and every other failure (truncated file,
random bytes, wrong contents) becomes a one-line ``ValueError``. Writing is atomic: a temporary
file in the same folder, then ``os.replace``.
"""
from __future__ import annotations

import os
import tempfile
import warnings
from dataclasses import asdict, fields, is_dataclass
from pathlib import Path

import torch

from ..schedules import beta_schedule
from .unet import MLP, MLPConfig, UNet, UNetConfig

FORMAT = "ddim_ref.checkpoint/1"
SHIPPED_CHECKPOINT = Path(__file__).resolve().parents[2] / "data" / "digits16_unet.pt"
COND_CHECKPOINT = SHIPPED_CHECKPOINT.with_name("digits16_cond_unet.pt")  # class-conditional, for guidance
NETWORKS = {"unet": (UNet, UNetConfig), "mlp": (MLP, MLPConfig)}


def model_config(network) -> dict:
    """{"kind": ..., **config fields} for a UNet or MLP (tuples become lists, as they load)."""
    kind = {UNet: "unet", MLP: "mlp"}.get(type(network))
    if kind is None or not is_dataclass(network.config):
        raise ValueError(f"cannot checkpoint a {type(network).__name__}: expected a ddim_ref UNet or MLP")
    return {"kind": kind, **{k: list(v) if isinstance(v, tuple) else v for k, v in asdict(network.config).items()}}


def build_network(model: dict):
    """The UNet or MLP a checkpoint's ``config["model"]`` describes (fresh weights)."""
    if not isinstance(model, dict) or model.get("kind") not in NETWORKS:
        raise ValueError(f"checkpoint model config must have kind in {sorted(NETWORKS)}, got {model!r:.80}")
    cls, config_cls = NETWORKS[model["kind"]]
    names = {f.name for f in fields(config_cls)}
    unknown = set(model) - names - {"kind"}
    if unknown:
        raise ValueError(f"unknown {model['kind']} config fields {sorted(unknown)}")
    return cls(config_cls(**{k: v for k, v in model.items() if k != "kind"}))


def schedule_betas(schedule: dict):
    """β from a checkpoint's ``config["schedule"]`` via the NumPy reference."""
    try:
        return beta_schedule(schedule["name"], int(schedule["T"]), beta_start=float(schedule["beta_start"]),
                             beta_end=float(schedule["beta_end"]))
    except (KeyError, TypeError) as e:
        raise ValueError(f"checkpoint schedule must have name, T, beta_start, beta_end; got {schedule!r:.120}") from e


def save_checkpoint(path, network, config: dict, **extra) -> Path:
    """Write weights, config (the model's own config is filled in) and ``extra`` atomically to ``path``."""
    path = Path(path)
    config = {**config, "model": model_config(network)}
    state = {k: v.detach().to("cpu").clone() for k, v in network.state_dict().items()}
    payload = {"format": FORMAT, "config": config, "state_dict": state, **extra}
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            torch.save(payload, f)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, 0o644)  # mkstemp's 0600 would make the shipped file private
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
    return path


def read_checkpoint(path, map_location="cpu") -> dict:
    """The checkpoint's dict, checked for its format; ``ValueError`` for anything that is not one."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"checkpoint not found: {path}")
    try:
        with warnings.catch_warnings():  # e.g. "Detected pickle protocol 4": the refusal below says enough
            warnings.simplefilter("ignore")
            payload = torch.load(path, map_location=map_location, weights_only=True)
    except Exception as e:  # UnpicklingError (code or unknown objects), RuntimeError (truncated zip), EOFError, ...
        reason = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
        raise ValueError(f"{path} is not a readable ddim_ref checkpoint ({reason[:160]})") from None
    if not isinstance(payload, dict) or payload.get("format") != FORMAT:
        raise ValueError(f"{path} is not a ddim_ref checkpoint (no format tag {FORMAT!r})")
    for key, kind in (("config", dict), ("state_dict", dict)):
        if not isinstance(payload.get(key), kind):
            raise ValueError(f"{path}: checkpoint entry {key!r} is missing or not a {kind.__name__}")
    return payload


def load_checkpoint(path=SHIPPED_CHECKPOINT, map_location="cpu"):
    """(network, config) from a checkpoint file; the network carries the saved (EMA) weights, in eval mode."""
    payload = read_checkpoint(path, map_location)
    config = payload["config"]
    network = build_network(config.get("model"))
    try:
        network.load_state_dict(payload["state_dict"])
    except RuntimeError as e:
        raise ValueError(f"{path}: weights do not fit the saved model config ({str(e).splitlines()[0]})") from None
    return network.to(map_location).eval(), config
