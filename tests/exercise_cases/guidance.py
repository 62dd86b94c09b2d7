"""Typical wrong answers to the exercises of ddim_ref.exercises.guidance (none yet)."""

WRONG = []
