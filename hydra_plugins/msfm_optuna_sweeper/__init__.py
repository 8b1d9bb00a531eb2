"""Hydra sweeper plugin ``msfm_optuna``: an Optuna (>= 4) ask-and-tell search over variants."""
