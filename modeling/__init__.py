"""georeset: modeling."""
