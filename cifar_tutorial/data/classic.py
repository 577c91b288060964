"""The classic path, exactly as the PyTorch tutorial teaches it: a ``Dataset`` with transforms."""

from __future__ import annotations

import os

import torch
from torch.utils.data import Dataset
from torchvision import transforms
from torchvision.datasets import CIFAR10, ImageFolder
from torchvision.transforms.functional import to_pil_image

from ..paths import pretty_path, resolve_data_root
from ..validation import check_choice
from . import folders, official
from .imageset import CLASSES
from .load import DATASETS, SPLITS, check_complete, find_source
from .sample import load_sample
from .stats import REFERENCE_MEAN, REFERENCE_STD


def reference_transform() -> transforms.Compose:
    """``ToTensor`` (pixels to [0, 1]) then ``Normalize`` with 0.5 (to [-1, 1])."""
    return transforms.Compose(
        [transforms.ToTensor(), transforms.Normalize(REFERENCE_MEAN, REFERENCE_STD)]
    )


def classic_dataset(
    dataset: str = "cifar10",
    split: str = "train",
    data_root: str | os.PathLike | None = None,
    transform=None,
    download: bool = True,
) -> Dataset:
    """A torchvision-style ``Dataset`` yielding ``(transformed image, label)`` one at a time.
    The official batches come through ``torchvision.datasets.CIFAR10``, class folders through
    ``ImageFolder``, the embedded sample through :class:`TensorImageDataset`. Every one of them has
    a ``classes`` attribute in CIFAR-10's label order."""
    dataset = check_choice("dataset", dataset, DATASETS)
    split = check_choice("split", split, SPLITS)
    transform = transform if transform is not None else reference_transform()
    if dataset == "sample":
        sample = load_sample(split)
        return TensorImageDataset(sample.images, sample.labels, transform)
    root = resolve_data_root(data_root)
    if find_source(root, download) == "official":
        official.verify_batches(root)  # names a missing or damaged file, unlike CIFAR10's error
        data = CIFAR10(str(root), train=(split == "train"), transform=transform, download=False)
    else:
        folders.check_tree(root)
        data = ImageFolder(str(root / split), transform=transform)
    if dataset == "cifar10":
        check_complete(torch.bincount(torch.tensor(data.targets), minlength=10).tolist(), split,
                       pretty_path(root))  # fmt: skip
    return data


class TensorImageDataset(Dataset):
    """uint8 image tensors served as PIL images through a transform, like torchvision's sets."""

    classes = list(CLASSES)

    def __init__(self, images: torch.Tensor, labels: torch.Tensor, transform=None) -> None:
        self.images, self.labels, self.transform = images, labels, transform

    def __len__(self) -> int:
        return len(self.labels)

    def __getitem__(self, index: int):
        image = to_pil_image(self.images[index])
        if self.transform is not None:
            image = self.transform(image)
        return image, int(self.labels[index])
