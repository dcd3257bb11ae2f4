"""georeset: eval."""
