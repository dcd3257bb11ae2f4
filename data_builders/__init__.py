"""georeset: data_builders."""
