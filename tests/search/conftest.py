"""The local SLURM cluster fixture, for the search's SLURM test."""
from tests.slurm.conftest import slurm_cluster  # noqa: F401
