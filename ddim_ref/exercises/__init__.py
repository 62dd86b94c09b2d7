"""Self-checking exercises for the notebooks: one module of checkers per notebook, one engine.

Each ``check_*`` runs a learner's function on seeded random inputs against the library and, when
it differs, names the typical mistake (:mod:`ddim_ref.exercises.engine`). It prints one line and
returns a :class:`CheckResult`; it never raises on a wrong answer. Every checker's module says
which notebook asks for it (``NOTEBOOK``), and ``notebooks/solutions/solutions_NN.py`` holds the
solution, a function named as the checker without ``check_``.

Notation (ᾱ is DDPM's; the DDIM paper writes α):

    ᾱ_t, ᾱ_prev     noise levels of the current state and of the step's target (ᾱ_prev > ᾱ_t)
    β' = 1 − ᾱ_t/ᾱ_prev, β̃ = (1−ᾱ_prev)/(1−ᾱ_t) β'    effective β of a step and DDPM's posterior variance
    σ_t(η)          DDIM's noise std (Eq. 16);   x̄ = x/√ᾱ, σ = √(1−ᾱ)/√ᾱ   the ODE variables (Eq. 14)

A new notebook's checkers are one module here (built on :func:`engine.compare`, with ``NOTEBOOK``
and ``__all__``) and one entry in ``MODULES``.
"""
from importlib import import_module

from .engine import CheckResult

MODULES = ("forward_process", "ddpm_reverse_process", "training", "from_ddpm_to_ddim", "trajectories", "score",
           "ode_solver", "digits", "tradeoffs", "applications", "guidance")

CHECKERS = {}  # checker name → the notebook number that asks for it
for _name in MODULES:
    _module = import_module(f".{_name}", __name__)
    for _checker in _module.__all__:
        globals()[_checker] = getattr(_module, _checker)
        CHECKERS[_checker] = _module.NOTEBOOK

__all__ = ["CHECKERS", "CheckResult", *CHECKERS]
