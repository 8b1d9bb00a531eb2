"""Sweep entry points: ``sweeps.run``, ``sweeps.plan``, ``sweeps.status``."""
