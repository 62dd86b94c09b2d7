"""Typical wrong answers to the exercises of ddim_ref.exercises.applications (none yet)."""

WRONG = []
