"""The PyTorch wing: U-Net/MLP ε-networks, the torch mirror of the samplers, the trainer, checkpoints.

The only place in ``ddim_ref`` that imports torch. Equations are not repeated here: the mirror runs
the NumPy reference's functions on tensors (see ``ddim_ref.torch.ddim``).
"""
from .checkpoint import SHIPPED_CHECKPOINT, load_checkpoint, save_checkpoint
from .ddim import DDIM, TorchNoise, as_model, ddim_step, ddpm_step, invert, sample, sample_ddpm
from .pretrained import load_diffusers
from .unet import MLP, MLPConfig, UNet, UNetConfig

__all__ = ["DDIM", "MLP", "MLPConfig", "SHIPPED_CHECKPOINT", "TorchNoise", "UNet", "UNetConfig", "as_model",
           "ddim_step", "ddpm_step", "invert", "load_checkpoint", "load_diffusers", "sample", "sample_ddpm",
           "save_checkpoint"]
