"""Testing with test-time augmentation: average the network's answers over several views.
The network was trained on flipped and shifted images; averaging its answers for such copies
of each test image corrects some mistakes for a few more forward passes. ``tta`` levels: 0 =
the image only; 1 = also its mirror image (2 passes); 2 = also the mirrored pair shifted by
one pixel up-left and down-right (6 passes)."""

from __future__ import annotations

import torch
import torch.nn as nn
import torch.nn.functional as F

from ..data import ImageSet
from ..validation import check_int
from .augment import test_batches
from .precision import autocast, autocast_dtype

TTA_LEVELS = (0, 1, 2)
TEST_BATCH = 1000  # test images per forward pass (and the sample a budget times the test on)


def with_mirror(net: nn.Module, images: torch.Tensor) -> torch.Tensor:
    """The mean of the logits for ``images`` and for their mirror images."""
    return 0.5 * (net(images) + net(images.flip(3)))


def tta_logits(net: nn.Module, images: torch.Tensor, tta: int = 2) -> torch.Tensor:
    """Logits ``(N, 10)`` for a batch of normalized images, averaged over the ``tta`` views."""
    tta = check_int("tta", tta, minimum=0, maximum=2)
    if tta == 0:
        return net(images)
    logits = with_mirror(net, images)
    if tta == 1:
        return logits
    height, width = images.shape[-2:]
    padded = F.pad(images, (1, 1, 1, 1), mode="reflect")
    shifted = [padded[..., :height, :width], padded[..., 2:, 2:]]
    shifted_logits = torch.stack([with_mirror(net, view) for view in shifted]).mean(0)
    return 0.5 * logits + 0.5 * shifted_logits


@torch.no_grad()
def evaluate(
    net: nn.Module,
    test_set: ImageSet,
    *,
    tta: int = 2,
    device: torch.device | str = "cpu",
    precision: str = "auto",
    channels_last: bool = True,
    batch_size: int = TEST_BATCH,
) -> tuple[torch.Tensor, torch.Tensor]:
    """Predicted classes and true labels for the whole ``test_set``."""
    device = torch.device(device)
    dtype = autocast_dtype(device, precision)
    memory_format = torch.channels_last if channels_last else torch.contiguous_format
    net.eval()
    predicted, labels = [], []
    for images, targets in test_batches(test_set, batch_size, device=device):
        with autocast(device, dtype):
            logits = tta_logits(net, images.contiguous(memory_format=memory_format), tta)
        predicted.append(logits.argmax(1).cpu())
        labels.append(targets.cpu())
    return torch.cat(predicted), torch.cat(labels)
