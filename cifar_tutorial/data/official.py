"""The official CIFAR-10 release (``cifar-10-python.tar.gz``) through torchvision.
torchvision's ``CIFAR10`` reads the batches and knows the archive's address and md5; this adds a
fast, clear failure offline, only complete files put in place, and damaged files named."""

from __future__ import annotations

import hashlib
import os
import shutil
import socket
import tempfile
import urllib.request
from pathlib import Path
from urllib.parse import urlparse

import torch
from torchvision.datasets import CIFAR10
from torchvision.datasets.utils import check_integrity, download_url, extract_archive

from ..errors import DataCorruptError, DataUnavailableError

OFFICIAL_SOURCE = "CIFAR-10, official python batches"
ARCHIVE_NAME = CIFAR10.filename  # cifar-10-python.tar.gz
BATCHES_DIR = CIFAR10.base_folder  # cifar-10-batches-py
NETWORK_TIMEOUT_S = 8.0


def has_batches(root: Path) -> bool:
    """True when the extracted python batches folder is present."""
    return (root / BATCHES_DIR).is_dir()


def has_archive(root: Path) -> bool:
    """True when the downloaded archive lies in ``root``."""
    return (root / ARCHIVE_NAME).is_file()


def verify_batches(root: Path) -> None:
    """Check every batch file against torchvision's md5 sums; name the first bad one."""
    folder = root / BATCHES_DIR
    again = f"Delete the folder {folder} and put {ARCHIVE_NAME} in {root} to extract it again."
    meta = [CIFAR10.meta["filename"], CIFAR10.meta["md5"]]
    for name, md5 in CIFAR10.train_list + CIFAR10.test_list + [meta]:
        path = folder / name
        if not path.is_file():
            raise DataCorruptError(f"{path} is missing from the extracted CIFAR-10. {again}")
        if not check_integrity(str(path), md5):
            raise DataCorruptError(f"{path} is damaged (its md5 sum is not CIFAR-10's). {again}")


def install_archive(archive: Path, root: Path) -> None:
    """Verify ``archive`` and extract it into ``root`` (complete or not at all)."""
    if not check_integrity(str(archive), CIFAR10.tgz_md5):
        raise DataCorruptError(
            f"{archive} is not the official {ARCHIVE_NAME}: its md5 sum differs (a download cut "
            "off halfway, or another file). Delete it and download it again."
        )
    extract_batches(archive, root)


def extract_batches(archive: Path, root: Path) -> None:
    """Extract an archive whose md5 sum was checked into ``root`` (complete or not at all)."""
    root.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix=".extract-", dir=root) as scratch:
        extract_archive(str(archive), scratch)
        target = root / BATCHES_DIR
        if target.exists():
            shutil.rmtree(target)
        os.replace(Path(scratch) / BATCHES_DIR, target)
    verify_batches(root)


def download(root: Path) -> None:
    """Fetch the archive into ``root`` and extract it; fail within seconds when offline."""
    host, port = first_hop()
    try:  # a quick probe, so that an offline machine hears it in seconds, not minutes
        socket.create_connection((host, port), timeout=NETWORK_TIMEOUT_S).close()
    except OSError as error:
        raise DataUnavailableError(offline_message(root, f"cannot reach {host}: {error}")) from None
    root.mkdir(parents=True, exist_ok=True)
    previous = socket.getdefaulttimeout()
    socket.setdefaulttimeout(NETWORK_TIMEOUT_S)
    try:
        with tempfile.TemporaryDirectory(prefix=".download-", dir=root) as scratch:
            download_url(CIFAR10.url, scratch, ARCHIVE_NAME, CIFAR10.tgz_md5)
            partial = Path(scratch) / ARCHIVE_NAME
            if not check_integrity(str(partial), CIFAR10.tgz_md5):
                raise DataUnavailableError(offline_message(root, "the download was incomplete"))
            os.replace(partial, root / ARCHIVE_NAME)
    except DataUnavailableError:
        raise
    except (OSError, RuntimeError) as error:  # URLError, SSL errors and timeouts are OSErrors
        raise DataUnavailableError(offline_message(root, f"the download failed: {error}")) from None
    finally:
        socket.setdefaulttimeout(previous)
    install_archive(root / ARCHIVE_NAME, root)


def first_hop() -> tuple[str, int]:
    """The host and port a download connects to first: the HTTPS proxy if one is set."""
    proxy = urllib.request.getproxies().get("https")
    if proxy:
        address = urlparse(proxy if "://" in proxy else f"http://{proxy}")
        return address.hostname or "", address.port or 80
    return urlparse(CIFAR10.url).hostname or "", 443


def offline_message(root: Path, what_happened: str) -> str:
    """What went wrong and the two ways forward."""
    return (
        f"CIFAR-10 is not under {root} and could not be downloaded: {what_happened}. "
        f"Either put {ARCHIVE_NAME} (or the extracted {BATCHES_DIR} folder, or train/ and test/ "
        f"class folders) in {root} (or point CIFAR10_ROOT / data_root at a copy), "
        "or use the embedded sample with dataset='sample' (profile 'smoke')."
    )


def load_batches(root: Path, split: str) -> tuple[torch.Tensor, torch.Tensor]:
    """Read the python batches of one split as ``uint8 (N, 3, 32, 32)`` and ``int64`` labels."""
    verify_batches(root)
    data = CIFAR10(str(root), train=(split == "train"), download=False)
    images = torch.from_numpy(data.data).permute(0, 3, 1, 2).contiguous()
    return images, torch.tensor(data.targets, dtype=torch.int64)


def fingerprint(root: Path, split: str) -> str:
    """A digest of the split's batch files (md5-checked, so size and mtime suffice)."""
    names = [n for n, _ in (CIFAR10.train_list if split == "train" else CIFAR10.test_list)]
    digest = hashlib.sha256()
    for name in names:
        path = root / BATCHES_DIR / name
        if not path.is_file():  # no cache matches: the rebuild's verification names the file
            digest.update(f"{name}:missing\n".encode())
            continue
        stat = path.stat()
        digest.update(f"{name}:{stat.st_size}:{stat.st_mtime_ns}\n".encode())
    return digest.hexdigest()
