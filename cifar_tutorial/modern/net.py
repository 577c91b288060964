"""The network: a patch-whitening layer, then three conv-pool-norm-activation groups.

This is the shape of network behind today's fastest CIFAR-10 recipes (David Page's
ResNet-9, tysam's hlb-CIFAR10, Keller Jordan's airbench): no fully connected layers to
speak of, batch normalization after every convolution, and a first layer that is not
learned but computed from the data::

    whitening 2x2 (24)  ->  GELU                                           (32x32 -> 31x31)
    group 1: conv 3x3 -> pool 2 -> BN -> GELU -> conv 3x3 -> BN -> GELU    (31x31 -> 15x15)
    group 2: the same                                                      (15x15 -> 7x7)
    group 3: the same                                                      (7x7 -> 3x3)
    global max pool -> linear (10) -> times 1/9

``widths`` sets the channels of the three groups: the knob that trades accuracy for time.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
import torch.nn as nn

from ..validation import check_int

WHITENING_KERNEL = 2
WHITENING_WIDTH = 2 * 3 * WHITENING_KERNEL**2  # each whitened direction, and its negative


class ConvGroup(nn.Module):
    """conv 3x3 -> max pool 2 -> BN -> GELU -> conv 3x3 -> BN -> GELU."""

    def __init__(self, channels_in: int, channels_out: int, bn_momentum: float = 0.4) -> None:
        super().__init__()
        self.conv1 = identity_conv(channels_in, channels_out)
        self.pool = nn.MaxPool2d(2)
        self.norm1 = batch_norm(channels_out, bn_momentum)
        self.conv2 = identity_conv(channels_out, channels_out)
        self.norm2 = batch_norm(channels_out, bn_momentum)
        self.activation = nn.GELU()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.activation(self.norm1(self.pool(self.conv1(x))))
        return self.activation(self.norm2(self.conv2(x)))


class FastNet(nn.Module):
    """Whitening layer, three :class:`ConvGroup`, global max pool, one linear layer."""

    def __init__(self, widths: Sequence[int] = (32, 64, 128), bn_momentum: float = 0.4) -> None:
        super().__init__()
        widths = check_widths(widths)
        self.whiten = nn.Conv2d(3, WHITENING_WIDTH, WHITENING_KERNEL, padding=0, bias=True)
        self.whiten.weight.requires_grad_(False)  # set from the data by init_whitening
        self.activation = nn.GELU()
        channels = (WHITENING_WIDTH, *widths)
        self.groups = nn.Sequential(
            *(ConvGroup(channels[i], channels[i + 1], bn_momentum) for i in range(3))
        )
        self.pool = nn.AdaptiveMaxPool2d(1)  # any image size: see progressive resizing
        self.head = nn.Linear(widths[-1], 10, bias=False)
        self.scale = 1 / 9  # small logits at the start: a calmer first few steps

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.groups(self.activation(self.whiten(x)))
        return self.head(self.pool(x).flatten(1)) * self.scale


def identity_conv(channels_in: int, channels_out: int) -> nn.Conv2d:
    """A 3x3 convolution that starts out passing its first input channels straight through.
    The default random initialisation is kept for the extra output channels; the first
    ``channels_in`` outputs start as a copy of the inputs (a "Dirac" kernel), so that even a deep
    stack of them carries the image forward from the first step."""
    conv = nn.Conv2d(channels_in, channels_out, 3, padding="same", bias=False)
    nn.init.dirac_(conv.weight.data[: min(channels_in, channels_out)])
    return conv


def batch_norm(channels: int, momentum: float) -> nn.BatchNorm2d:
    """Batch normalization with a learned shift but a fixed scale of 1.
    The next convolution can scale its input any way it likes, so a learned scale adds nothing but
    parameters for weight decay to pull on."""
    norm = nn.BatchNorm2d(channels, momentum=momentum, eps=1e-12)
    norm.weight.requires_grad_(False)
    return norm


def check_widths(widths: Sequence[int]) -> tuple[int, int, int]:
    """Three channel counts, each at least 1."""
    if isinstance(widths, str):
        widths = [part for part in widths.replace("/", ",").split(",") if part.strip()]
    values = tuple(check_int("widths", w, minimum=1, maximum=4096) for w in widths)
    if len(values) != 3:
        from ..errors import ParameterError

        raise ParameterError("widths", widths, "three channel counts, e.g. (32, 64, 128)")
    return values  # type: ignore[return-value]


def image_patches(images: torch.Tensor, size: int = WHITENING_KERNEL) -> torch.Tensor:
    """Every ``size`` x ``size`` patch of every image, as rows of length ``3 * size**2``."""
    patches = images.unfold(2, size, 1).unfold(3, size, 1)  # (N, C, H', W', size, size)
    return patches.permute(0, 2, 3, 1, 4, 5).reshape(-1, images.shape[1] * size * size).float()


@torch.no_grad()
def init_whitening(conv: nn.Conv2d, images: torch.Tensor, eps: float = 5e-4) -> None:
    """Set ``conv``'s filters to whiten the 2x2 patches of ``images`` (normalized floats).
    The patch covariance has eigenvectors (directions in patch space) and eigenvalues (how much the
    patches vary along each). A filter along an eigenvector, divided by the square root of its
    eigenvalue, outputs a feature with variance 1 that is uncorrelated with the others: the network
    starts from decorrelated, equally loud inputs instead of having to learn them. Each filter comes
    with its negative, so that a GELU after it keeps both signs."""
    size = conv.kernel_size[0]
    patches = image_patches(images.float(), size)
    covariance = patches.T @ patches / len(patches)
    eigenvalues, eigenvectors = torch.linalg.eigh(covariance)  # ascending
    eigenvalues, eigenvectors = eigenvalues.flip(0), eigenvectors.flip(1)  # largest first
    filters = (eigenvectors / torch.sqrt(eigenvalues + eps)).T.reshape(-1, 3, size, size)
    conv.weight.copy_(torch.cat([filters, -filters]).to(conv.weight))
