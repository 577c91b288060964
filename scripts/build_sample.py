"""Rebuild the embedded sample from a class-folder copy of CIFAR-10.

    python scripts/build_sample.py path/to/cifar10-folders

The folder must hold ``train/<class>/`` and ``test/<class>/`` (the layout of
``../shared/data/cifar10-jpeg.tar.gz`` once extracted). The first 500 training and 100 test
files of each class, by file name, are stored as their original JPEG bytes.
"""

import argparse
from pathlib import Path

import numpy as np

from cifar_tutorial.data import CLASSES
from cifar_tutorial.data.decode import decode_rgb
from cifar_tutorial.data.folders import image_files
from cifar_tutorial.data.sample import SAMPLE_PER_CLASS, sample_path


def build_sample(folders_root: Path, output: Path, per_class: dict[str, int] | None = None) -> None:
    """Write the sample from ``folders_root/{train,test}/<class>/*``: the first files by name."""
    per_class = per_class or SAMPLE_PER_CLASS
    arrays: dict[str, np.ndarray] = {}
    for split, count in per_class.items():
        chunks, offsets, labels = [], [0], []
        for label, name in enumerate(CLASSES):
            files = image_files(folders_root / split / name)[:count]
            if len(files) < count:
                raise ValueError(
                    f"{folders_root / split / name} has {len(files)} files, need {count}"
                )
            for file in files:
                data = file.read_bytes()
                if decode_rgb(data).shape != (32, 32, 3):
                    raise ValueError(f"{file} is not a 32x32 image")
                chunks.append(np.frombuffer(data, dtype=np.uint8))
                offsets.append(offsets[-1] + len(data))
                labels.append(label)
        arrays[f"{split}_jpeg"] = np.concatenate(chunks)
        arrays[f"{split}_offsets"] = np.array(offsets, dtype=np.int64)
        arrays[f"{split}_labels"] = np.array(labels, dtype=np.uint8)
    output.parent.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(output, **arrays)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "folders_root", type=Path, help="CIFAR-10 as train/ and test/ class folders"
    )
    parser.add_argument("--output", type=Path, default=sample_path(), help="file to write")
    args = parser.parse_args()
    build_sample(args.folders_root, args.output)
    print(f"wrote {args.output} ({args.output.stat().st_size / 1e6:.2f} MB)")


if __name__ == "__main__":
    main()
