"""The user-facing errors GeoLLaVA raises, importable with or without georeset installed.

The model files are also copied next to saved checkpoints for `trust_remote_code=True`, where `georeset` may not
be importable: then two small stand-ins keep the same names and base classes (ValueError, RuntimeError).
"""

from __future__ import annotations

try:
    from georeset.errors import BadInputError, MissingAssetError
except ImportError:  # loaded as remote code from a checkpoint folder, without georeset

    class BadInputError(ValueError):
        """Input that is not what it should be; the message names the input and the problem."""

    class MissingAssetError(RuntimeError):
        """Pretrained weights or a model file cannot be found or downloaded."""


__all__ = ["BadInputError", "MissingAssetError"]
