"""Which files travel as LFS and which as regular git blobs (the answer of `POST .../preupload`).

Like the Hub: a file is LFS when a `filter=lfs` pattern of the repo's `.gitattributes` matches it, when it is
large, or when its first bytes look binary. New repos start with the Hub's default `.gitattributes`.
"""

from __future__ import annotations

import fnmatch

# The clients read regular files whole into memory and base64 them into the commit body: keep those small.
REGULAR_FILE_MAX_BYTES = 5 * 1024 * 1024

_LFS_PATTERNS_DEFAULT = [
    "*.7z", "*.arrow", "*.bin", "*.bz2", "*.ckpt", "*.ftz", "*.gz", "*.h5", "*.joblib", "*.lfs.*", "*.mlmodel",
    "*.model", "*.msgpack", "*.npy", "*.npz", "*.onnx", "*.ot", "*.parquet", "*.pb", "*.pickle", "*.pkl", "*.pt",
    "*.pth", "*.rar", "*.safetensors", "saved_model/**/*", "*.tar.*", "*.tar", "*.tflite", "*.tgz", "*.wasm",
    "*.xz", "*.zip", "*.zst", "*tfevents*", "*.gguf", "*.tif", "*.tiff", "*.png", "*.jpg", "*.jpeg", "*.webp",
    "*.wav", "*.mp3", "*.flac", "*.mp4", "*.pmtiles", "*.pbf",
]  # fmt: skip

DEFAULT_GITATTRIBUTES = "".join(
    f"{pattern} filter=lfs diff=lfs merge=lfs -text\n" for pattern in _LFS_PATTERNS_DEFAULT
)


def lfs_patterns(gitattributes: str) -> list[str]:
    """The patterns of a `.gitattributes` text that route files through LFS."""
    patterns = []
    for line in gitattributes.splitlines():
        parts = line.split()
        if len(parts) >= 2 and not parts[0].startswith("#") and "filter=lfs" in parts[1:]:
            patterns.append(parts[0])
    return patterns


def _matches(path: str, pattern: str) -> bool:
    # git matches patterns without a slash against the basename, others against the whole path.
    if "/" not in pattern:
        return fnmatch.fnmatchcase(path.rsplit("/", 1)[-1], pattern)
    return fnmatch.fnmatchcase(path, pattern.lstrip("/").replace("**/", "*"))


def looks_binary(sample: bytes) -> bool:
    """Git's heuristic: a NUL byte in the first bytes, or bytes that are not UTF-8 text."""
    if b"\0" in sample:
        return True
    try:
        sample.decode("utf-8")
    except UnicodeDecodeError as err:
        # A multi-byte character cut by the 512-byte sample is still text.
        return err.start < len(sample) - 3
    return False


def upload_mode(path: str, size: int, sample: bytes, patterns: list[str]) -> str:
    """ "lfs" or "regular" for a file about to be committed (empty files are always regular)."""
    if size == 0:
        return "regular"
    if size > REGULAR_FILE_MAX_BYTES or looks_binary(sample):
        return "lfs"
    return "lfs" if any(_matches(path, pattern) for pattern in patterns) else "regular"


__all__ = ["REGULAR_FILE_MAX_BYTES", "DEFAULT_GITATTRIBUTES", "lfs_patterns", "looks_binary", "upload_mode"]
