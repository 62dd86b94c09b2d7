"""Typical wrong answers to notebook 04's exercises, each with a piece of the diagnosis it must get."""
from . import solutions

s4 = solutions(4)  # the DDIM-step solutions


def _eps_of(x, x0, a):
    return (x - a**0.5 * x0) / (1 - a) ** 0.5


def _step_x0(x, x0, a, p, eta, z, eps):
    sigma = s4.ddim_sigma(a, p, eta)
    return p**0.5 * x0 + (1 - p - sigma**2) ** 0.5 * eps + sigma * z


WRONG = [  # (checker, wrong answer, a piece of the expected diagnosis)
    ("check_x0_from_eps", lambda x, e, a: x - (1 - a) ** 0.5 * e, "off by a factor √ᾱ_t"),
    ("check_x0_from_eps", lambda x, e, a: (x - (1 - a) ** 0.5 * e) / a, "not by ᾱ_t"),
    ("check_x0_from_eps", lambda x, e, a: 2 * s4.x0_from_eps(x, e, a), "off by a constant factor 2"),
    ("check_ddim_sigma", lambda a, p, eta: eta * (1 - a / p) ** 0.5, "your σ at η = 1 is √β_t"),
    ("check_ddim_sigma", lambda a, p, eta: s4.ddim_sigma(a, p, eta) ** 2, "variance σ²"),
    ("check_ddim_sigma", lambda a, p, eta: s4.ddim_sigma(a, p, 1.0), "off by a factor 1/η"),
    ("check_ddim_step", lambda x, e, a, p, eta, z: s4.ddim_step(x, e, a, p, eta, 0 * z) + eta * z,
     "scaled the noise by η instead of σ_t(η)"),
    ("check_ddim_step", lambda x, e, a, p, eta, z: (p**0.5 * s4.x0_from_eps(x, e, a) + (1 - p) ** 0.5 * e
                                                    + s4.ddim_sigma(a, p, eta) * z), "left out σ²"),
    ("check_ddim_step", lambda x, e, a, p, eta, z: p**0.5 * s4.x0_from_eps(x, e, a) + (1 - p) ** 0.5 * z,
     "forward marginal is not an update rule"),
    ("check_ddim_step", lambda x, e, a, p, eta, z: ((x - (1 - a / p) / (1 - a) ** 0.5 * e) / (a / p) ** 0.5
                                                    + s4.ddim_sigma(a, p, eta) * z), "DDPM's posterior mean"),
    ("check_ddim_step", lambda x, e, a, p, eta, z: s4.ddim_step(x, e, a, p, eta, 0 * z), "left out the noise"),
    ("check_ddim_step", lambda x, e, a, p, eta, z: a**0.5 * s4.x0_from_eps(x, e, a) + (s4.ddim_step(x, e, a, p, eta, z)
                                                    - p**0.5 * s4.x0_from_eps(x, e, a)), "you used √ᾱ_t"),
    ("check_ddim_step", lambda x, e, a, p, eta, z: (p**0.5 * s4.x0_from_eps(x, e, a / p)   # per-step α in x0̂
                                                    + (1 - p - s4.ddim_sigma(a, p, eta) ** 2) ** 0.5 * e
                                                    + s4.ddim_sigma(a, p, eta) * z), "per-step α_t"),
    ("check_ddim_step_x0", lambda x, x0, a, p, eta, z: s4.ddim_step(x, x0, a, p, eta, z),
     "passed x0̂ where the ε-form step expects ε̂"),
    ("check_ddim_step_x0", lambda x, x0, a, p, eta, z: _step_x0(x, x0, a, p, eta, z, -_eps_of(x, x0, a)),
     "ε̂ has the wrong sign"),
    ("check_ddim_step_x0", lambda x, x0, a, p, eta, z: _step_x0(x, x0, a, p, eta, z, x - a**0.5 * x0),
     "divide it by √(1−ᾱ_t)"),
    ("check_ddim_step_x0", lambda x, x0, a, p, eta, z: _step_x0(x, x0, a, p, eta, z, _eps_of(x, x0, p)),
     "with the target level ᾱ_prev"),
    ("check_ddim_step_x0", lambda x, x0, a, p, eta, z: p**0.5 * x0 + (1 - p) ** 0.5 * z,
     "forward marginal is not an update rule"),
    ("check_ddim_step_x0", lambda x, x0, a, p, eta, z: _step_x0(x, x0, a, p, eta, 0 * z, _eps_of(x, x0, a)),
     "left out the noise"),
    ("check_eta_for_sigma_hat", lambda a, p: 1.0, "η = 1 gives σ² = β̃"),
    ("check_eta_for_sigma_hat", lambda a, p: ((1 - p) / (1 - a)) ** 0.5, "the ratio is inverted"),
    ("check_eta_for_sigma_hat", lambda a, p: (1 - a) / (1 - p), "that is η²"),
    ("check_eta_for_sigma_hat", lambda a, p: (1 - a / p) ** 0.5, "that is σ̂ = √β' itself"),
    ("check_eta_for_sigma_hat", lambda a, p: s4.ddim_sigma(a, p, 1.0), "σ_t(1) = √β̃"),
]
