"""Image bytes to pixels, decoded by Pillow exactly as torchvision's ``ImageFolder`` does, so
the fast path sees the very pixels of the classic path (class folders and the sample alike)."""

from __future__ import annotations

import io

import numpy as np
import torch
from PIL import Image

UNREADABLE = (OSError, SyntaxError, ValueError)
"""What Pillow raises for a file that is not an image, or is cut off."""


def decode_rgb(data: bytes) -> np.ndarray:
    """One encoded image (JPEG, PNG, ...) as ``uint8 (H, W, 3)`` RGB; grey or RGBA is converted."""
    with Image.open(io.BytesIO(data)) as image:
        return np.asarray(image if image.mode == "RGB" else image.convert("RGB"))


def stack_images(pixels: list[np.ndarray]) -> torch.Tensor:
    """``(H, W, 3)`` arrays as one ``uint8 (N, 3, H, W)`` tensor, channels first as torch wants."""
    return torch.from_numpy(np.stack(pixels)).permute(0, 3, 1, 2).contiguous()
