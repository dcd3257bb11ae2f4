"""georeset: model_cards."""
