"""Typical wrong answers to the exercises of ddim_ref.exercises.digits (none yet)."""

WRONG = []
