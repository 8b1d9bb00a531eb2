"""Hydra sweeper plugin ``rows``: a union of cartesian blocks, validated before launch."""
