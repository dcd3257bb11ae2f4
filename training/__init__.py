"""georeset: training."""
