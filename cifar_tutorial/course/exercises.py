"""``cifar-tutorial exercises``: write (or, with ``--check``, compare) the student edition."""

from __future__ import annotations

from pathlib import Path

from ..errors import ParameterError
from ..paths import pretty_path
from .notebooks import notebook_folder
from .options import check_writable_dir
from .student_edition import differences, write_student_edition


def exercises_command(
    notebook_dir: str | None = None, output_dir: str | None = None, check: bool = False
) -> int:
    """Regenerate ``exercises/`` from ``notebooks/``; with ``check``, only report differences."""
    source = notebook_folder(notebook_dir)
    if not source.is_dir():
        raise ParameterError("--notebook-dir", str(source), "a folder holding the notebooks")
    target = Path(output_dir) if output_dir is not None else source.parent / "exercises"
    if target.exists() and not target.is_dir():
        raise ParameterError("--output-dir", str(target), "a folder (made if missing)")
    if check:
        found = differences(source, target)
        for line in found:
            print(f"{pretty_path(target)}/{line}")
        if found:
            print("The student edition is out of date: run `make exercises` and commit it.")
            return 1
        print(f"The student edition in {pretty_path(target)} is up to date.")
        return 0
    check_writable_dir("--output-dir", str(target))
    written = write_student_edition(source, target)
    print(f"Wrote {len(written)} notebooks with blank answers to {pretty_path(target)}.")
    for path in written:
        print(f"  {path.name}")
    return 0
