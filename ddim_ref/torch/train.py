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

import argparse
import math
import os
import time
from dataclasses import asdict, dataclass, fields
from pathlib import Path

import numpy as np
import torch
import torch.distributed as dist
import torch.nn.functional as F
from torch.optim.swa_utils import AveragedModel

from ..analytic import TOY_MIXTURES, toy_mixture
from ..parametrization import PREDICTION_TYPES, model_target, q_sample
from ..schedules import BETA_SCHEDULES, alpha_bars, beta_schedule
from .checkpoint import read_checkpoint, save_checkpoint
from .unet import MLP, UNet, MLPConfig, UNetConfig

DIGITS = Path(__file__).resolve().parents[2] / "data" / "digits16.npz"


@dataclass
class TrainConfig:
    data: str = "digits"              # "digits" (data/digits16.npz in [−1, 1]) or "gmm:ring" etc. (2-D, MLP)
    prediction_type: str = "epsilon"  # epsilon | sample | v_prediction
    schedule: str = "linear"          # β schedule of the NumPy reference
    T: int = 1000
    beta_start: float = 1e-4
    beta_end: float = 0.02
    steps: int = 2400
    batch_size: int = 32              # global batch, split evenly across DDP ranks
    lr: float = 2e-3
    warmup: int = 50                  # linear warmup steps, then decay to 0
    decay: str = "cosine"             # cosine | linear
    weight_decay: float = 0.0
    grad_clip: float = 1.0
    ema_max_decay: float = 0.999
    base_channels: int = 16           # U-Net widths: base_channels × channel_mults
    channel_mults: tuple = (1, 2, 4)
    num_res_blocks: int = 1
    mlp_hidden: int = 128             # MLP width for 2-D data
    seed: int = 0
    checkpoint_every: int = 200
    out: str = "runs/digits"
    threads: int = 2                  # CPU threads per process
    amp: bool = True                  # bfloat16 autocast on CUDA (ignored on CPU)
    progress: bool = True             # tqdm bar

    def __post_init__(self):
        self.channel_mults = tuple(int(m) for m in self.channel_mults)
        positive = ("T", "steps", "batch_size", "checkpoint_every", "threads", "base_channels", "num_res_blocks",
                    "mlp_hidden")
        for name in positive:
            if int(getattr(self, name)) < 1:
                raise ValueError(f"{name} must be >= 1, got {getattr(self, name)}")
        checks = [
            (self.prediction_type in PREDICTION_TYPES, f"prediction_type must be one of {PREDICTION_TYPES}"),
            (self.schedule in BETA_SCHEDULES, f"schedule must be one of {BETA_SCHEDULES}"),
            (self.decay in ("cosine", "linear"), "decay must be 'cosine' or 'linear'"),
            (self.data == "digits" or self.data.removeprefix("gmm:") in TOY_MIXTURES,
             f"data must be 'digits' or gmm:NAME with NAME in {sorted(TOY_MIXTURES)}"),
            (math.isfinite(self.lr) and self.lr > 0, "lr must be a finite number > 0"),
            (self.warmup >= 0 and self.grad_clip > 0, "warmup must be >= 0 and grad_clip > 0"),
            (0 <= self.ema_max_decay < 1, "ema_max_decay must lie in [0, 1)"),
        ]
        for ok, message in checks:
            if not ok:
                raise ValueError(message)


# ---------------------------------------------------------------- pieces
def load_data(cfg: TrainConfig) -> torch.Tensor:
    """digits: x_train (1497, 1, 16, 16) scaled to [−1, 1]; gmm:NAME: 8192 exact samples (8192, 2)."""
    if cfg.data == "digits":
        with np.load(DIGITS) as f:
            return torch.from_numpy(f["x_train"]) * 2 - 1
    points = toy_mixture(cfg.data.removeprefix("gmm:")).sample(8192, np.random.default_rng(cfg.seed))
    return torch.from_numpy(points.astype(np.float32))


def make_network(cfg: TrainConfig, data: torch.Tensor):
    if data.ndim == 2:
        return MLP(MLPConfig(dim=data.shape[1], hidden=cfg.mlp_hidden))
    return UNet(UNetConfig(image_size=data.shape[-1], in_channels=data.shape[1], base_channels=cfg.base_channels,
                           channel_mults=cfg.channel_mults, num_res_blocks=cfg.num_res_blocks))


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


def draw_batch(data, num_train_steps: int, batch_size: int, generator: torch.Generator):
    """(x0, t, ε) for one global batch, from the CPU generator (identical on every rank)."""
    x0 = data[torch.randint(len(data), (batch_size,), generator=generator)]
    t = torch.randint(num_train_steps, (batch_size,), generator=generator)
    eps = torch.randn(x0.shape, generator=generator)
    return x0, t, eps


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
RESUME_KEEPS = {"steps", "checkpoint_every", "out", "threads", "progress", "amp"}  # may change on --resume


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
    data = load_data(cfg)
    ab = torch.tensor(alpha_bars(beta_schedule(cfg.schedule, cfg.T, beta_start=cfg.beta_start,
                                               beta_end=cfg.beta_end)), dtype=torch.float32)
    torch.manual_seed(cfg.seed)  # initial weights (and dropout, if any)
    network = make_network(cfg, data).to(device)
    ema = AveragedModel(network, multi_avg_fn=ema_warmup_avg_fn(cfg.ema_max_decay))
    optimizer = torch.optim.AdamW(network.parameters(), lr=cfg.lr, weight_decay=cfg.weight_decay)
    scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, lr_factor(cfg))
    generator = torch.Generator().manual_seed(cfg.seed)
    step = 0
    if resume:
        step = _restore(out / "ckpt.pt", cfg, network, ema, optimizer, scheduler, generator)
    model = torch.nn.parallel.DistributedDataParallel(network) if world > 1 else network
    amp = cfg.amp and device.type == "cuda"
    per_rank = cfg.batch_size // world
    stop = cfg.steps if stop_at is None else min(stop_at, cfg.steps)

    bar = _progress(cfg, rank, step, stop)
    seen, tick = 0, time.perf_counter()
    while step < stop:
        x0, t, eps = draw_batch(data, cfg.T, cfg.batch_size, generator)
        x0, t, eps = (a[rank * per_rank:(rank + 1) * per_rank].to(device) for a in (x0, t, eps))
        alpha_bar_t = ab.to(device)[t].view(-1, *[1] * (x0.ndim - 1))    # (b, 1, …) broadcasts over x
        x_t = q_sample(x0, alpha_bar_t, eps)
        target = model_target(x0, eps, alpha_bar_t, cfg.prediction_type)
        with torch.autocast(device.type, dtype=torch.bfloat16, enabled=amp):
            output = model(x_t, t)
        loss = F.mse_loss(output.float(), target)
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


# ---------------------------------------------------------------- command line
def add_arguments(parser: argparse.ArgumentParser) -> None:
    for f in fields(TrainConfig):
        flag = "--" + f.name.replace("_", "-")
        if f.type in (bool, "bool"):
            parser.add_argument(flag, action=argparse.BooleanOptionalAction, default=f.default)
        elif f.name == "channel_mults":
            parser.add_argument(flag, default=",".join(map(str, f.default)), metavar="M1,M2,...",
                                help=f"U-Net width multipliers per level (default {f.default})")
        else:
            kind = {"int": int, "float": float, "str": str}[f.type if isinstance(f.type, str) else f.type.__name__]
            parser.add_argument(flag, type=kind, default=f.default, help=f"(default {f.default})")
    parser.add_argument("--resume", action="store_true", help="continue from OUT/ckpt.pt")


def main(args) -> int:
    values = {f.name: getattr(args, f.name) for f in fields(TrainConfig)}
    try:
        values["channel_mults"] = tuple(int(m) for m in str(values["channel_mults"]).split(","))
    except ValueError:
        raise ValueError(f"--channel-mults must be integers separated by commas, got {values['channel_mults']!r}")
    cfg = TrainConfig(**values)
    start = time.perf_counter()
    train(cfg, resume=args.resume)
    if int(os.environ.get("RANK", "0")) == 0:
        print(f"reached step {cfg.steps} after {time.perf_counter() - start:.0f} s; EMA weights in {Path(cfg.out) / 'model.pt'}")
    return 0
