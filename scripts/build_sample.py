"""Rebuild the embedded sample from a class-folder copy of CIFAR-10.

    python scripts/build_sample.py path/to/cifar10-folders

The folder must hold ``train/<class>/`` and ``test/<class>/`` (the layout of
``../shared/data/cifar10-jpeg.tar.gz`` once extracted). The first 500 training and 100 test
files of each class, by file name, are stored as their original JPEG bytes.
"""

import argparse
from pathlib import Path

from cifar_tutorial.data.sample import build_sample, sample_path


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
