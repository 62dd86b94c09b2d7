"""Typical wrong answers to the exercises of ddim_ref.exercises.tradeoffs (none yet)."""

WRONG = []
