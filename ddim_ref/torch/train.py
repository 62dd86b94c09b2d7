"""Train an ε-network (DDPM's simple loss, Ho et al. 2020, Algorithm 1) — readable in one sitting.

One step, with the forward process and the target taken from the NumPy reference (they run on
tensors as written):

    x0 ~ data,  t ~ U{0 … T−1},  ε ~ N(0, I)
    x_t    = √ᾱ_t x0 + √(1−ᾱ_t) ε                   ``q_sample``      (DDPM Eq. 4)
    target = ε, x0 or v = √ᾱ_t ε − √(1−ᾱ_t) x0      ``model_target``  (per ``prediction_type``)
    loss   = ‖network(x_t, t) − target‖²            mean over the batch

AdamW with linear warmup then cosine (or linear) decay to 0, gradient clipping, and an EMA of the
weights with warmup, decay_n = min(0.999, (1+n)/(10+n)) after n updates (torch's AveragedModel).
Every random draw comes from one seeded ``torch.Generator`` on the CPU, so a run is reproducible
and a resumed run continues the same sequence. Under ``torchrun`` (DDP; gloo on CPU, nccl on GPU)
every rank draws the same global batch and trains on its slice, so N ranks × b equals one
process with N·b.

    python -m ddim_ref train --out runs/digits                    # the shipped checkpoint's command
    python -m ddim_ref train --data gmm:ring --steps 2000 --out runs/ring
    torchrun --nproc_per_node 2 -m ddim_ref train --out runs/ddp
"""
from __future__ import annotations

import math
import os
import time
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path

import numpy as np
import torch
import torch.distributed as dist
from torch.optim.swa_utils import AveragedModel

from .._checks import check_choice, check_int, check_number
from ..analytic import TOY_MIXTURES, toy_mixture
from ..parametrization import PREDICTION_TYPES, model_target, q_sample
from ..schedules import BETA_SCHEDULES, alpha_bars, beta_schedule
from .checkpoint import read_checkpoint, save_checkpoint
from .data import DIGITS, check_image_size, images_of
from .unet import MLP, MLPConfig, UNet, UNetConfig

LOSS_WEIGHTINGS = ("none", "min_snr")


def _option(default, help_, lo=None, hi=None, choices=None):
    """A TrainConfig field with its one-phrase help and its allowed range (read by the CLI and checked here)."""
    return field(default=default, metadata={"help": help_, "lo": lo, "hi": hi, "choices": choices})


@dataclass
class TrainConfig:
    """One training run; every field is a ``python -m ddim_ref train --field-name`` option."""

    data: str = _option("digits", "training data (gmm:NAME trains the 2-D MLP)")
    image_size: int = _option(16, "side of the square images a folder is resized and cropped to (a power of two)",
                              2, 1024)
    channels: int = _option(1, "channels of a folder's images: 1 grey, 3 RGB", 1, 3)
    class_conditional: bool = _option(False, "digits only: learn p(x | label) too, with label dropout (for CFG)")
    p_uncond: float = _option(0.1, "label dropout: share of labels replaced by the null label", 0.0, 1.0)
    prediction_type: str = _option("epsilon", "what the network predicts", choices=PREDICTION_TYPES)
    schedule: str = _option("linear", "beta schedule of the NumPy reference", choices=BETA_SCHEDULES)
    T: int = _option(1000, "number of diffusion timesteps", 2, 100_000)
    beta_start: float = _option(1e-4, "first beta of the schedule", 1e-8, 0.5)
    beta_end: float = _option(0.02, "last beta of the schedule", 1e-8, 0.999)
    steps: int = _option(5000, "optimizer steps", 1, 10_000_000)
    batch_size: int = _option(32, "global batch, split evenly across DDP ranks", 1, 65_536)
    lr: float = _option(2e-3, "peak learning rate of AdamW", 1e-8, 1.0)
    warmup: int = _option(50, "linear warmup steps before the decay", 0, 10_000_000)
    decay: str = _option("cosine", "learning-rate decay to 0 after the warmup", choices=("cosine", "linear"))
    weight_decay: float = _option(0.0, "AdamW weight decay", 0.0, 1.0)
    grad_clip: float = _option(1.0, "gradient-norm clipping threshold", 1e-6, 1e6)
    ema_max_decay: float = _option(0.999, "largest EMA decay (the warmup ramps up to it)", 0.0, 0.99999)
    loss_weighting: str = _option("none", "per-timestep loss weight: none, or min_snr (Hang et al. 2023)",
                                  choices=LOSS_WEIGHTINGS)
    min_snr_gamma: float = _option(5.0, "gamma of min_snr: weight min(SNR, gamma) / SNR for epsilon", 0.01, 1000.0)
    base_channels: int = _option(32, "U-Net width of the first level", 8, 512)
    channel_mults: tuple = _option((1, 2, 4), "U-Net width multipliers, one level each", 1, 16)
    num_res_blocks: int = _option(1, "residual blocks per U-Net level", 1, 8)
    mlp_hidden: int = _option(128, "MLP width for 2-D data", 1, 65_536)
    seed: int = _option(0, "seed of the weights and of every batch", 0, 2**63 - 1)
    checkpoint_every: int = _option(200, "steps between resumable checkpoints", 1, 10_000_000)
    out: str = _option("runs/digits", "where ckpt.pt (while training) and model.pt (at the end) go")
    threads: int = _option(2, "CPU threads per process", 1, 256)
    amp: bool = _option(True, "bfloat16 autocast on CUDA (ignored on CPU)")
    channels_last: bool = _option(False, "channels-last memory format (faster in results/bench.md; not the recipe's)")
    compile: bool = _option(False, "torch.compile the network (no clear gain on the 2-core CPU: results/bench.md)")
    progress: bool = _option(True, "show a tqdm progress bar")

    def __post_init__(self):
        self.channel_mults = tuple(self.channel_mults)
        for f in fields(self):
            value, meta = getattr(self, f.name), f.metadata
            if meta["choices"] is not None:
                check_choice(f.name, value, meta["choices"])
            elif f.name == "channel_mults":
                if not value:
                    raise ValueError("channel_mults needs at least one level")
                for m in value:
                    check_int("each of channel_mults", m, meta["lo"], meta["hi"])
            elif f.type in (int, "int"):
                check_int(f.name, value, meta["lo"], meta["hi"])
            elif f.type in (float, "float"):
                check_number(f.name, value, meta["lo"], meta["hi"])
        if self.beta_start > self.beta_end:
            raise ValueError(f"beta_start must be <= beta_end, got {self.beta_start} > {self.beta_end}")
        if self.class_conditional and self.data != "digits":
            raise ValueError("class_conditional needs labelled data: data='digits'")
        if self.channels not in (1, 3):
            raise ValueError(f"channels must be 1 (grey) or 3 (RGB), got {self.channels}")
        check_image_size(self.image_size)
        if self.data.startswith("gmm:") and self.data.removeprefix("gmm:") not in TOY_MIXTURES:
            raise ValueError(f"gmm:NAME needs NAME in {sorted(TOY_MIXTURES)}, got {self.data!r}")
        if self.data != "digits" and not self.data.startswith("gmm:") and not Path(self.data).exists():
            raise ValueError(f"data must be digits, gmm:NAME, an image folder or an .npz file; {self.data!r} "
                             "does not exist")


# ---------------------------------------------------------------- pieces
NUM_DIGIT_CLASSES = 10


def load_data(cfg: TrainConfig):
    """(x, labels): digits x_train (1497, 1, 16, 16) scaled to [−1, 1] and y_train (labels None unless
    ``class_conditional``); gmm:NAME: 8192 exact samples (8192, 2); a folder or .npz of images
    (``ddim_ref.torch.data``) in [−1, 1]; no labels but the digits'."""
    if cfg.data == "digits":
        with np.load(DIGITS) as f:
            x, y = torch.from_numpy(f["x_train"]) * 2 - 1, torch.from_numpy(f["y_train"]).long()
        return x, (y if cfg.class_conditional else None)
    if cfg.data.startswith("gmm:"):
        points = toy_mixture(cfg.data.removeprefix("gmm:")).sample(8192, np.random.default_rng(cfg.seed))
        return torch.from_numpy(points.astype(np.float32)), None
    return torch.from_numpy(images_of(cfg.data, cfg.image_size, cfg.channels)) * 2 - 1, None


def make_network(cfg: TrainConfig, data: torch.Tensor):
    if data.ndim == 2:
        return MLP(MLPConfig(dim=data.shape[1], hidden=cfg.mlp_hidden))
    return UNet(UNetConfig(image_size=data.shape[-1], in_channels=data.shape[1], base_channels=cfg.base_channels,
                           channel_mults=cfg.channel_mults, num_res_blocks=cfg.num_res_blocks,
                           num_classes=NUM_DIGIT_CLASSES if cfg.class_conditional else 0))


def lr_factor(cfg: TrainConfig):
    """Step → multiplier of ``lr``: linear warmup to 1, then cosine or linear decay to 0 at ``steps``."""
    def factor(step):
        if step < cfg.warmup:
            return (step + 1) / cfg.warmup
        progress = (step - cfg.warmup) / max(1, cfg.steps - cfg.warmup)
        return 0.5 * (1 + math.cos(math.pi * progress)) if cfg.decay == "cosine" else 1 - progress
    return factor


def ema_warmup_avg_fn(max_decay: float):
    """``multi_avg_fn`` for AveragedModel: EMA with decay min(max_decay, (1+n)/(10+n)) after n updates."""
    @torch.no_grad()
    def update(ema_params, params, num_averaged):
        n = int(num_averaged)
        torch._foreach_lerp_(ema_params, params, 1 - min(max_decay, (1 + n) / (10 + n)))
    return update


def draw_batch(data, num_train_steps: int, batch_size: int, generator: torch.Generator, labels=None,
               p_uncond: float = 0.0):
    """(x0, t, ε, y) for one global batch, from the CPU generator (identical on every rank).

    With ``labels``, y is each image's label, replaced by the null label (``NUM_DIGIT_CLASSES``) with
    probability ``p_uncond`` (label dropout, Ho & Salimans 2022, Alg. 1); else y is None.
    """
    index = torch.randint(len(data), (batch_size,), generator=generator)
    x0 = data[index]
    t = torch.randint(num_train_steps, (batch_size,), generator=generator)
    eps = torch.randn(x0.shape, generator=generator)
    if labels is None:
        return x0, t, eps, None
    drop = torch.rand(batch_size, generator=generator) < p_uncond
    return x0, t, eps, torch.where(drop, NUM_DIGIT_CLASSES, labels[index])


def per_sample_mse(output, target):
    """‖output − target‖² / d per sample: (B, …) → (B,)."""
    return ((output - target) ** 2).flatten(1).mean(1)


def loss_weight(alpha_bar_t, cfg: TrainConfig):
    """DDPM's simple loss weights every t alike; min-SNR-γ (Hang et al. 2023, Eq. 6) weights min(SNR, γ)/SNR
    (for ε; min(SNR, γ) for x0 and min(SNR, γ)/(SNR + 1) for v), so low-noise steps stop dominating."""
    if cfg.loss_weighting == "none":
        return torch.ones_like(alpha_bar_t)
    snr = alpha_bar_t / (1 - alpha_bar_t)
    clipped = snr.clamp(max=cfg.min_snr_gamma)
    return {"epsilon": clipped / snr, "sample": clipped, "v_prediction": clipped / (snr + 1)}[cfg.prediction_type]


def schedule_config(cfg: TrainConfig) -> dict:
    return {"name": cfg.schedule, "T": cfg.T, "beta_start": cfg.beta_start, "beta_end": cfg.beta_end}


def checkpoint_config(cfg: TrainConfig) -> dict:
    """What a checkpoint records besides the model config: the schedule, prediction type and the run's config."""
    train = {k: list(v) if isinstance(v, tuple) else v for k, v in asdict(cfg).items()}
    return {"schedule": schedule_config(cfg), "prediction_type": cfg.prediction_type, "data": cfg.data,
            "train": train}


def _distributed():
    """(rank, world_size, device); joins the process group when launched by torchrun."""
    world = int(os.environ.get("WORLD_SIZE", "1"))
    if world > 1 and not dist.is_initialized():
        dist.init_process_group("nccl" if torch.cuda.is_available() else "gloo")
    rank = dist.get_rank() if world > 1 else 0
    if torch.cuda.is_available():
        device = torch.device("cuda", int(os.environ.get("LOCAL_RANK", "0")))
        torch.cuda.set_device(device)
    else:
        device = torch.device("cpu")
    return rank, world, device


# ---------------------------------------------------------------- the loop
RESUME_KEEPS = {"steps", "checkpoint_every", "out", "threads", "progress", "amp", "channels_last", "compile"}


def train(cfg: TrainConfig, resume: bool = False, stop_at: int | None = None):
    """Train; checkpoint to ``out/ckpt.pt`` every ``checkpoint_every`` steps and at the end (or at ``stop_at``).

    ``out/model.pt`` gets the EMA weights alone when ``steps`` is reached. Returns (network, ema_network).
    """
    rank, world, device = _distributed()
    if cfg.batch_size % world:
        raise ValueError(f"batch_size {cfg.batch_size} must divide evenly over {world} processes")
    if device.type == "cpu":
        torch.set_num_threads(cfg.threads)
    out = Path(cfg.out)
    data, labels = load_data(cfg)
    ab = torch.tensor(alpha_bars(beta_schedule(cfg.schedule, cfg.T, beta_start=cfg.beta_start,
                                               beta_end=cfg.beta_end)), dtype=torch.float32)
    torch.manual_seed(cfg.seed)  # initial weights (and dropout, if any)
    network = make_network(cfg, data).to(device)
    if cfg.channels_last and data.ndim == 4:
        network = network.to(memory_format=torch.channels_last)
    ema = AveragedModel(network, multi_avg_fn=ema_warmup_avg_fn(cfg.ema_max_decay))
    optimizer = torch.optim.AdamW(network.parameters(), lr=cfg.lr, weight_decay=cfg.weight_decay, fused=True)
    scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, lr_factor(cfg))
    generator = torch.Generator().manual_seed(cfg.seed)
    step = 0
    if resume:
        step = _restore(out / "ckpt.pt", cfg, network, ema, optimizer, scheduler, generator)
    model = torch.nn.parallel.DistributedDataParallel(network) if world > 1 else network
    if cfg.compile:
        model = torch.compile(model)
    amp = cfg.amp and device.type == "cuda"
    per_rank = cfg.batch_size // world
    stop = cfg.steps if stop_at is None else min(stop_at, cfg.steps)

    bar = _progress(cfg, rank, step, stop)
    seen, tick = 0, time.perf_counter()
    while step < stop:
        x0, t, eps, y = draw_batch(data, cfg.T, cfg.batch_size, generator, labels, cfg.p_uncond)
        x0, t, eps = (a[rank * per_rank:(rank + 1) * per_rank].to(device) for a in (x0, t, eps))
        y = None if y is None else y[rank * per_rank:(rank + 1) * per_rank].to(device)
        alpha_bar_t = ab.to(device)[t].view(-1, *[1] * (x0.ndim - 1))    # (b, 1, …) broadcasts over x
        x_t = q_sample(x0, alpha_bar_t, eps)
        target = model_target(x0, eps, alpha_bar_t, cfg.prediction_type)
        with torch.autocast(device.type, dtype=torch.bfloat16, enabled=amp):
            output = model(x_t, t) if y is None else model(x_t, t, y)
        loss = (loss_weight(alpha_bar_t, cfg).flatten() * per_sample_mse(output.float(), target)).mean()
        optimizer.zero_grad(set_to_none=True)
        loss.backward()                                                   # DDP averages gradients here
        torch.nn.utils.clip_grad_norm_(network.parameters(), cfg.grad_clip)
        optimizer.step()
        scheduler.step()
        ema.update_parameters(network)
        step += 1
        seen += cfg.batch_size
        if bar is not None and (step % 10 == 0 or step == stop):
            now = time.perf_counter()
            bar.set_postfix(loss=f"{loss.item():.4f}", img_s=f"{seen / (now - tick):.0f}")
            bar.update(step - bar.n)
            seen, tick = 0, now
        if rank == 0 and (step % cfg.checkpoint_every == 0 or step == stop):
            _save(out / "ckpt.pt", cfg, step, network, ema, optimizer, scheduler, generator)
    if bar is not None:
        bar.close()
    if rank == 0 and step == cfg.steps:
        save_checkpoint(out / "model.pt", ema.module, checkpoint_config(cfg), steps=step)
    if world > 1:
        dist.barrier()
    return network, ema.module


def _progress(cfg, rank, start, stop):
    if not cfg.progress or rank != 0:
        return None
    from tqdm import tqdm

    return tqdm(total=stop, initial=start, desc="train", unit="step", dynamic_ncols=True)


def _save(path, cfg, step, network, ema, optimizer, scheduler, generator):
    """Checkpoint the EMA weights (to sample with) and everything a resumed run needs."""
    train_state = {"step": step, "network": network.state_dict(), "optimizer": optimizer.state_dict(),
                   "scheduler": scheduler.state_dict(), "ema_n_averaged": int(ema.n_averaged),
                   "generator": generator.get_state(), "torch_rng": torch.get_rng_state()}
    save_checkpoint(path, ema.module, checkpoint_config(cfg), train_state=train_state)


def _restore(path, cfg, network, ema, optimizer, scheduler, generator) -> int:
    payload = read_checkpoint(path)
    saved = payload["config"].get("train", {})
    now = checkpoint_config(cfg)["train"]
    changed = sorted(k for k in now if k not in RESUME_KEEPS and saved.get(k) != now[k])
    if changed:
        raise ValueError(f"--resume: the run in {path} used different {', '.join(changed)}; pass the same values")
    state = payload.get("train_state")
    if not isinstance(state, dict):
        raise ValueError(f"{path} has no training state to resume from")
    network.load_state_dict(state["network"])
    ema.module.load_state_dict(payload["state_dict"])
    ema.n_averaged.fill_(state["ema_n_averaged"])
    optimizer.load_state_dict(state["optimizer"])
    scheduler.load_state_dict(state["scheduler"])
    generator.set_state(state["generator"])
    torch.set_rng_state(state["torch_rng"])
    return int(state["step"])
