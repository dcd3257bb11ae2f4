"""Geotext: text about places with labelled toponyms (gold, distant, silver), and resolver training examples.

Readers (`factbook`, `wikipedia`, `textfiles`, `benchmarks`) emit one record schema (`schema`); `dataset_io` writes
and publishes datasets; `distant` turns any geotext dataset into the LLM resolver's questions with answers.
"""

__all__: list[str] = []
