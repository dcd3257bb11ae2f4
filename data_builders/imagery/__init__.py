"""Sentinel imagery: readers of the public patch formats, links from footprints to places, instruction data.

Every reader yields `Patch` records (`patch.py`); linking, instruction building and publishing know nothing about
file formats. The Hub dataset layout is fixed in `schema.py`.
"""
