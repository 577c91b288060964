"""Reading a photo someone uploads, safely, and shrinking it to what the network sees.

:func:`read_photo` accepts what a phone or a browser usually gives (JPEG, PNG, WebP, GIF, BMP,
TIFF) and turns the less usual kinds into plain 8-bit RGB where that is honest, saying what it
did: CMYK, palette, greyscale, transparency (laid on white), 16-bit pixels (scaled to 8 bits), a
sideways phone photo (turned upright by its EXIF orientation), the first frame of an animation.
Anything else (empty, not an image, cut off, too big) is refused with a :class:`PhotoError`
whose message is one line that says what went wrong and what is allowed.
"""

from __future__ import annotations

import io
import warnings
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import torch
from PIL import Image, ImageOps, UnidentifiedImageError

from ..data import REFERENCE_MEAN, REFERENCE_STD
from ..errors import TutorialError, first_line

MAX_BYTES = 20 * 1024 * 1024  # 20 MB: a large phone photo is 5-10 MB
MAX_PIXELS = 40_000_000  # 40 megapixels, below Pillow's own guard against decompression bombs
ALLOWED = "Upload a JPEG, PNG, WebP, GIF, BMP or TIFF photo under 20 MB and 40 megapixels."
HEIF_BRANDS = {b"heic", b"heix", b"hevc", b"heim", b"heis", b"mif1", b"msf1"}
ORIENTATION = 0x0112  # the EXIF tag that says which way up a camera was held
NETWORK_SIZE = 32  # CIFAR-10's photos are 32x32 pixels


class PhotoError(TutorialError, ValueError):
    """A photo that cannot be read; the message is one line, ending with what is allowed."""


@dataclass(frozen=True)
class Photo:
    """An uploaded photo as 8-bit RGB, with what was done to get it there (may be empty)."""

    image: Image.Image
    name: str
    notes: tuple[str, ...] = ()

    def summary(self) -> str:
        """One line: the photo's name and size, and what was converted."""
        width, height = self.image.size
        line = f"Read {self.name or 'the photo'}: {width}x{height} pixels"
        return line + (f"; {'; '.join(self.notes)}." if self.notes else ".")


def read_photo(content: bytes, name: str = "") -> Photo:
    """Decode ``content`` (a file's bytes) into an RGB :class:`Photo`, or raise
    :class:`PhotoError` with a one-line message."""
    content = bytes(content)
    if not content:
        raise _refuse("the file is empty")
    if len(content) > MAX_BYTES:
        raise _refuse(f"the file is {len(content) / 1024**2:.1f} MB")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(content))
            width, height = image.size
            if width * height > MAX_PIXELS:
                raise _refuse(f"{width}x{height} pixels is more than 40 megapixels")
            notes = []
            if getattr(image, "n_frames", 1) > 1:
                notes.append(f"the first of its {image.n_frames} frames")
            image.load()
    except PhotoError:
        raise
    except UnidentifiedImageError:
        if content[4:8] == b"ftyp" and content[8:12] in HEIF_BRANDS:
            raise _refuse("it is a HEIC photo (an iPhone's own format): save it as JPEG") from None
        raise _refuse(f"{name or 'the file'} is not an image that Pillow can read (another "
                      "kind of file, or a damaged image)") from None  # fmt: skip
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise _refuse("it would unpack into too many pixels") from None
    except (OSError, SyntaxError, ValueError) as error:  # cut off, or damaged inside
        raise _refuse(f"the image is cut off or damaged ({first_line(error, limit=80)})") from None
    if image.getexif().get(ORIENTATION, 1) != 1:
        notes.append("turned upright as its EXIF orientation says")
        image = ImageOps.exif_transpose(image)
    rgb, converted = _to_rgb(image)
    return Photo(rgb, name, tuple(notes + converted))


def network_input(
    image: Image.Image,
    mean: Sequence[float] = REFERENCE_MEAN,
    std: Sequence[float] = REFERENCE_STD,
) -> tuple[torch.Tensor, torch.Tensor]:
    """``image`` as the network sees it: its centre square shrunk to 32x32 pixels. Returns the
    pixels (``uint8``, ``(3, 32, 32)``) and the normalized ``float32`` tensor the network takes."""
    small = ImageOps.fit(image.convert("RGB"), (NETWORK_SIZE, NETWORK_SIZE),
                         method=Image.Resampling.LANCZOS)  # fmt: skip
    pixels = torch.from_numpy(np.array(small, dtype=np.uint8)).permute(2, 0, 1).contiguous()
    return pixels, normalize(pixels, mean, std)


def normalize(
    pixels: torch.Tensor,
    mean: Sequence[float] = REFERENCE_MEAN,
    std: Sequence[float] = REFERENCE_STD,
) -> torch.Tensor:
    """``uint8`` pixels ``(3, H, W)`` as ``ToTensor`` then ``Normalize(mean, std)`` make them."""
    mean_t = torch.tensor(mean, dtype=torch.float32).view(-1, 1, 1)
    std_t = torch.tensor(std, dtype=torch.float32).view(-1, 1, 1)
    return (pixels.float() / 255 - mean_t) / std_t


def _to_rgb(image: Image.Image) -> tuple[Image.Image, list[str]]:
    """``image`` as 8-bit RGB, and what was converted to get there."""
    mode = image.mode
    if mode == "RGB":
        return image, []
    if mode.startswith("I;16") or mode == "I":
        low, high = image.getextrema()
        if low < 0 or high > 65535:
            raise _refuse(f"its {mode} pixels run from {low} to {high}, beyond 16 bits")
        values = np.asarray(image, dtype=np.float64)
        eight = np.round(values / 257).astype(np.uint8)  # 0..65535 onto 0..255
        return Image.fromarray(eight, "L").convert("RGB"), ["16-bit grey scaled to 8 bits"]
    if mode == "F":
        raise _refuse("it has floating-point pixels (a scientific image, not a photo)")
    if mode == "CMYK":
        return image.convert("RGB"), ["converted from CMYK (printing colours; roughly)"]
    has_alpha = mode in ("RGBA", "LA", "PA", "RGBa", "La") or "transparency" in image.info
    if has_alpha:
        rgba = image.convert("RGBA")
        if rgba.getextrema()[3][0] < 255:  # some pixel is at least partly transparent
            paper = Image.new("RGBA", rgba.size, "white")
            return Image.alpha_composite(paper, rgba).convert("RGB"), ["transparency laid on white"]
        return rgba.convert("RGB"), []
    described = {"P": "palette colours", "L": "greyscale", "1": "black and white"}
    converted = image.convert("RGB")
    return converted, [f"{described.get(mode, mode)} converted to RGB"]


def _refuse(reason: str) -> PhotoError:
    return PhotoError(f"Not read: {reason}. {ALLOWED}")
