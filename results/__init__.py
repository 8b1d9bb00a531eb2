"""Results store: one JSON record per variant, written atomically."""
