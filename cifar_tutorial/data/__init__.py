"""CIFAR-10 from every source a learner has, behind one interface.

``dataset="cifar10"`` finds the real data set under ``data_root``: the official python
batches (downloaded by torchvision when allowed), or a copy stored as class folders.
``dataset="sample"`` is the small real sample shipped inside the package.

Two ways to feed a network:

* the classic path, exactly what the PyTorch tutorial teaches:
  :func:`classic_dataset` with :func:`reference_transform` and a ``DataLoader``;
* the fast path: :func:`load_split` decodes a split once into a uint8 tensor (cached on
  disk) and :class:`FastLoader` cuts normalized, shuffled batches from it by indexing.
"""

from .classic import classic_dataset, reference_transform
from .fast import FastLoader
from .imageset import CLASSES, ImageSet
from .load import DATASETS, SPLITS, load_split
from .stats import REFERENCE_MEAN, REFERENCE_STD, channel_stats

__all__ = [
    "CLASSES",
    "DATASETS",
    "SPLITS",
    "REFERENCE_MEAN",
    "REFERENCE_STD",
    "FastLoader",
    "ImageSet",
    "channel_stats",
    "classic_dataset",
    "load_split",
    "reference_transform",
]
