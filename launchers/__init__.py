"""Launchers: run ``VariantTask``s here (local) or as SLURM jobs (submitit)."""
