"""CIFAR-10 from every source a learner has, behind one interface.
``dataset="cifar10"`` finds the real data set under ``data_root`` (the official batches, downloaded
when allowed, or class folders); ``dataset="sample"`` is shipped in the package. Two ways to feed a
network: the PyTorch tutorial's :func:`classic_dataset` with :func:`reference_transform` and a
``DataLoader``; or :func:`load_split`, which decodes a split once into a cached uint8 tensor, and
:class:`FastLoader`, which cuts batches from it."""

from .fast import FastLoader
from .imageset import CLASSES, ImageSet
from .load import DATASETS, SPLITS, load_split
from .stats import REFERENCE_MEAN, REFERENCE_STD, channel_stats

__all__ = [
    "CLASSES", "DATASETS", "SPLITS", "REFERENCE_MEAN", "REFERENCE_STD", "FastLoader", "ImageSet",
    "channel_stats", "classic_dataset", "load_split", "reference_transform"
]  # fmt: skip


def __getattr__(name: str):
    """The PyTorch tutorial's way (:mod:`.classic`) loads torchvision, which takes ~2 s to import:
    only when a notebook asks for it."""
    if name in ("classic_dataset", "reference_transform"):
        from . import classic

        return getattr(classic, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
