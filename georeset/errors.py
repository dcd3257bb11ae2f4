"""User-facing errors: one clear message that says what to install or set."""

from __future__ import annotations


class GeoresetError(RuntimeError):
    """An error whose message is meant for the user as it is (the CLI prints it without a traceback)."""


class MissingAssetError(GeoresetError):
    """An embedded model or data package is not installed, or a model id/path cannot be found."""


class HubUnreachableError(GeoresetError):
    """The configured Hugging Face Hub endpoint does not answer."""


class BadInputError(GeoresetError, ValueError):
    """Input that is not what it should be; the message names the input and the problem."""


__all__ = ["GeoresetError", "MissingAssetError", "HubUnreachableError", "BadInputError"]
