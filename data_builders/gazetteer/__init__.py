"""Gazetteer: readers of public place databases, conflation into one entity table, the candidate index."""
