"""Hydra launcher plugin ``msfm_slurm``: a sweep's variants as one SLURM job array."""
