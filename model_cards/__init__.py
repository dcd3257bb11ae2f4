"""georeset: model and dataset cards.

- `model_cards.render`: `render_geollava_card(config, eval_reports, repo_id)`, `render_resolver_card(**context)`,
  `render_dataset_card(kind, stats, repo_id)` (one import for every card).
- `model_cards.model_index`: eval reports -> `huggingface_hub.EvalResult`s and the results tables.
- `model_cards.dataset_card`: the dataset card generator and the licence tables of every source.
- `model_cards.references`: names, licences and BibTeX of the datasets and models the cards cite.
- `model_cards.cli`: `georeset card render ... [--push]`.
"""
