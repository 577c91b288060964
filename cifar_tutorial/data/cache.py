"""A decoded split cached on disk, so the second load takes a fraction of a second.
It sits in ``<data_root>/.cifar_tutorial_cache`` (in the tutorial's home when the data folder is
read-only), written atomically with its format version, the source files' fingerprint and a
checksum: one from other files, another version or damaged is rebuilt, never trusted."""

from __future__ import annotations

import hashlib
import os
import warnings
import zlib
from collections.abc import Callable
from pathlib import Path

import torch

from ..files import atomic_file
from ..paths import tutorial_home

CACHE_FORMAT = 2
"""Bumped whenever the file's layout or the way fingerprints are made changes."""
CACHE_DIR_NAME = ".cifar_tutorial_cache"


def cache_file(data_root: Path, name: str) -> Path:
    """Where the cache for ``name`` goes: next to the data if writable, else in the home."""
    folder = data_root / CACHE_DIR_NAME
    if _writable(folder):
        return folder / f"{name}.pt"
    key = hashlib.sha256(str(data_root.absolute()).encode()).hexdigest()[:12]
    return tutorial_home() / "cache" / key / f"{name}.pt"


def cached_tensors(
    path: Path, fingerprint: str, build: Callable[[], tuple[torch.Tensor, torch.Tensor]]
) -> tuple[torch.Tensor, torch.Tensor]:
    """Images and labels from the cache at ``path`` if valid for ``fingerprint``, else built."""
    found = read_cache(path, fingerprint)
    if found is not None:
        return found
    images, labels = build()
    write_cache(path, fingerprint, images, labels)
    return images, labels


def read_cache(path: Path, fingerprint: str) -> tuple[torch.Tensor, torch.Tensor] | None:
    """The cached tensors, or ``None`` (with a warning saying why) when they can't be trusted."""
    if not path.is_file():
        return None
    try:
        entry = torch.load(path, weights_only=True, mmap=True)
        if not isinstance(entry, dict) or entry.get("format") != CACHE_FORMAT:
            reason = "it was written by another version of cifar_tutorial"
        elif entry.get("fingerprint") != fingerprint:
            reason = "the data files changed since it was written"
        elif entry.get("checksum") != _checksum(entry["images"], entry["labels"]):
            reason = "its contents are damaged"
        else:
            return entry["images"].clone(), entry["labels"].clone()
    except Exception as error:  # any unreadable file is simply rebuilt
        reason = f"it cannot be read ({type(error).__name__})"
    warnings.warn(f"Rebuilding the cache {path.name}: {reason}.", stacklevel=3)
    return None


def write_cache(path: Path, fingerprint: str, images: torch.Tensor, labels: torch.Tensor) -> None:
    """Write atomically: a temporary file in the same folder, renamed when complete."""
    entry = {
        "format": CACHE_FORMAT,
        "fingerprint": fingerprint,
        "checksum": _checksum(images, labels),
        "images": images.contiguous(),
        "labels": labels.contiguous(),
    }
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        atomic_save(entry, path)
    except OSError as error:  # a cache is an optimisation: never fail the load because of it
        warnings.warn(f"Could not write the cache {path}: {error}", stacklevel=3)


def atomic_save(obj: object, path: Path) -> None:
    """``torch.save`` to a temporary name beside ``path``, then rename it into place."""
    with atomic_file(path) as handle:
        torch.save(obj, handle)


def _checksum(images: torch.Tensor, labels: torch.Tensor) -> int:
    check = zlib.crc32(images.contiguous().numpy())
    return zlib.crc32(labels.contiguous().numpy(), check)


def _writable(folder: Path) -> bool:
    probe = folder if folder.exists() else folder.parent
    return probe.is_dir() and os.access(probe, os.W_OK | os.X_OK)
