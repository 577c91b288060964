"""Nothing half-done passes as ready (issue 24): a truncated CIFAR-10, a wrong kit archive and
bad values of every course command are refused in one line, exit code 2, nothing left behind.

All in-process (``main([...])``), on trees of a few photos per class: a copy with fewer photos
than CIFAR-10's 5,000 and 1,000 per class is a truncated one; where a test needs a *complete*
copy it lowers the expected counts (``load.PER_CLASS``) to its tree's. docs/reliability.md
lists every case with its message.
"""

from __future__ import annotations

import os
import tarfile
from pathlib import Path

import pytest
from tiny_cifar import write_class_folders, write_official_batches

from cifar_tutorial.course import bundle
from cifar_tutorial.course.cli import main
from cifar_tutorial.data import classic_dataset, load, load_split, official
from cifar_tutorial.errors import DataCorruptError
from cifar_tutorial.settings import notebook_settings

SMALL = {"train": 2, "test": 1}  # photos per class of the trees made here
READ_ONLY = "/proc/cifar-tutorial-test"  # inside a place no one (root included) can write


def folder_tree(root: Path, per_class: dict[str, int] = SMALL) -> Path:
    write_class_folders(root, dict(per_class))
    return root


def folder_archive(tmp_path: Path, per_class: dict[str, int] = SMALL) -> Path:
    """A .tar.gz of ``cifar10/train`` and ``cifar10/test``, like the shared copy."""
    source = folder_tree(tmp_path / "archive-source", per_class)
    archive = tmp_path / "cifar10-folders.tar.gz"
    with tarfile.open(archive, "w:gz") as tar:
        tar.add(source, arcname="cifar10")
    return archive


def entries(folder: Path) -> set[str]:
    return {str(p.relative_to(folder)) for p in folder.rglob("*")} if folder.exists() else set()


def refused(capsys, argv: list[str], option: str) -> str:
    """Run ``argv``: exit code 2, one line on stderr naming ``option``, no traceback."""
    try:
        code = main(argv)
    except SystemExit as stop:  # argparse's own errors
        code = stop.code
    err = capsys.readouterr().err
    assert code == 2, err
    assert err.endswith("\n") and err.count("\n") == 1, err
    assert option in err and "Traceback" not in err, err
    return err.strip()


# ---- a truncated CIFAR-10 -------------------------------------------------------------------


def assert_says_truncated(message: str, split: str) -> None:
    assert "\n" not in message
    assert f"The {split} split of CIFAR-10" in message and "is incomplete" in message
    assert "airplane 2" in message or "airplane 1" in message  # the classes short of photos
    assert "cifar-tutorial prefetch" in message and "dataset='sample'" in message
    assert "dataset='cifar10-subset'" in message


def test_a_truncated_class_folder_copy_is_refused_and_a_subset_on_purpose_is_not(tmp_path):
    root = folder_tree(tmp_path / "data")
    for split in ("train", "test"):
        for load_it in (load_split, classic_dataset):
            with pytest.raises(DataCorruptError) as caught:
                load_it("cifar10", split, root)
            assert_says_truncated(str(caught.value), split)
        assert len(load_split("cifar10-subset", split, root)) == 10 * SMALL[split]
    assert len(classic_dataset("cifar10-subset", "test", root)) == 10


def test_one_class_short_is_named_alone_and_a_complete_copy_loads(tmp_path, monkeypatch):
    monkeypatch.setattr(load, "PER_CLASS", SMALL)  # the tree below is complete, in small
    root = folder_tree(tmp_path / "data")
    assert len(load_split("cifar10", "train", root)) == 20
    next((root / "train" / "cat").iterdir()).unlink()
    with pytest.raises(DataCorruptError) as caught, pytest.warns(UserWarning, match="Rebuilding"):
        load_split("cifar10", "train", root)  # the cache of the complete copy is not trusted
    assert "19 photos instead of 20, 2 per class (has: cat 1)" in str(caught.value)


def test_truncated_official_batches_are_refused(tmp_path, monkeypatch):
    from tiny_cifar import trust_official_files

    write_official_batches(tmp_path, per_batch=4)
    trust_official_files(monkeypatch, tmp_path)  # their md5 sums pass: only the counts fail
    with pytest.raises(DataCorruptError) as caught:
        load_split("cifar10", "train", tmp_path)
    assert_says_truncated(str(caught.value), "train")


def test_a_notebook_is_refused_at_its_first_data_cell(tmp_path):
    """The notebooks' first cells: notebook_settings, then load_split with its values."""
    root = folder_tree(tmp_path / "data")
    profile, dataset, data_root, _ = notebook_settings("full", None, str(root), verbose=False)
    with pytest.raises(DataCorruptError) as caught:
        load_split(dataset, "train", data_root)
    assert_says_truncated(str(caught.value), "train")


def test_run_refuses_a_truncated_copy_before_any_run_folder(tmp_path, capsys):
    root = folder_tree(tmp_path / "data")
    runs = tmp_path / "runs"
    argv = ["run", "--profile", "full", "--notebooks", "02", "-p", "data_root", str(root),
            "--output-dir", str(runs), "--no-progress"]  # fmt: skip
    err = refused(capsys, argv, "The train split of CIFAR-10")
    assert "is incomplete" in err and not runs.exists()


def test_doctor_fails_on_a_truncated_copy_with_the_fix(tmp_path, capsys, monkeypatch):
    from cifar_tutorial.course import doctor

    monkeypatch.setattr(doctor, "check_kernels", lambda measured: [])
    root = folder_tree(tmp_path / "data")
    assert main(["doctor", "--data-root", str(root), "--no-forecast"]) == 1
    printed = capsys.readouterr().out
    line = next(x for x in printed.splitlines() if x.startswith("[FAIL] data cifar10"))
    assert "The train split of CIFAR-10" in line and "is incomplete" in line
    assert (
        "fix: cifar-tutorial prefetch (a download) or cifar-tutorial prefetch --from-archive"
        in (printed)
    )


def test_prefetch_refuses_a_truncated_copy_on_disk(tmp_path, capsys):
    root = folder_tree(tmp_path / "data")
    err = refused(capsys, ["prefetch", "--data-root", str(root)], "The train split of CIFAR-10")
    assert "is incomplete" in err


def test_prefetch_refuses_a_truncated_archive_and_extracts_nothing(tmp_path, capsys):
    archive = folder_archive(tmp_path)
    root = tmp_path / "data"
    err = refused(capsys, ["prefetch", "--data-root", str(root), "--from-archive", str(archive)],
                  "--from-archive")  # fmt: skip
    assert str(archive) in err and "incomplete: its train/ holds 20 photos instead of 50,000" in err
    assert entries(root) == set()


def test_prefetch_installs_a_complete_archive(tmp_path, capsys, monkeypatch):
    monkeypatch.setattr(load, "PER_CLASS", SMALL)
    archive = folder_archive(tmp_path)
    root = tmp_path / "data"
    assert main(["prefetch", "--data-root", str(root), "--from-archive", str(archive)]) == 0
    assert "CIFAR-10 is ready." in capsys.readouterr().out
    assert {p.name for p in root.iterdir() if not p.name.startswith(".")} == {"train", "test"}


# ---- bundle: the archive first, no partial kit ---------------------------------------------


def no_wheels(kit, source, **options):
    (kit.folder / "wheels").mkdir(parents=True)
    (kit.folder / "wheels" / "x-1.0-py3-none-any.whl").write_bytes(b"wheel")


@pytest.mark.parametrize(
    "make, named",
    [
        (lambda tmp: Path("/etc/hostname") if Path("/etc/hostname").is_file() else None,
         "not a readable .tar.gz archive"),
        (folder_archive, "incomplete: its train/ holds 20 photos"),
    ],
    ids=["not-an-archive", "truncated-archive"],
)  # fmt: skip
def test_bundle_refuses_a_wrong_archive_before_writing_anything(tmp_path, capsys, make, named):
    archive = make(tmp_path)
    if archive is None:
        archive = tmp_path / "hostname"
        archive.write_text("laptop\n")
    kit = tmp_path / "kit"
    err = refused(capsys, ["bundle", str(kit), "--without-torch", "--data-archive", str(archive)],
                  "--data-archive")  # fmt: skip
    assert named in err and str(archive) in err
    assert not kit.exists()


def test_a_failing_bundle_leaves_no_partial_kit(tmp_path, capsys, monkeypatch):
    from cifar_tutorial.errors import TutorialError

    def pip_fails(kit, source, **options):
        no_wheels(kit, source)
        raise TutorialError("pip download failed: no network")

    monkeypatch.setattr(bundle, "download_wheels", pip_fails)
    kit = tmp_path / "new" / "kit"
    refused(capsys, ["bundle", str(kit), "--no-data", "--no-site"], "pip download failed")
    assert not (tmp_path / "new").exists()
    existing = tmp_path / "stick"  # a folder that was there: left as it was
    existing.mkdir()
    (existing / "notes.txt").write_text("mine")
    refused(capsys, ["bundle", str(existing), "--no-data", "--no-site"], "pip download failed")
    assert entries(existing) == {"notes.txt"}


def test_the_kit_check_refuses_a_truncated_archive_naming_it(tmp_path, capsys, monkeypatch):
    monkeypatch.setattr(bundle, "download_wheels", no_wheels)
    monkeypatch.setattr(load, "PER_CLASS", SMALL)
    kit = tmp_path / "kit"
    archive = folder_archive(tmp_path)
    assert main(["bundle", str(kit), "--no-site", "--data-archive", str(archive)]) == 0
    assert "The kit is ready" in capsys.readouterr().out
    assert bundle.main(["verify", str(kit / "data")]) == 0
    monkeypatch.setattr(load, "PER_CLASS", {"train": 3, "test": 1})  # now a photo short a class
    assert bundle.main(["verify", str(kit / "data")]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "cifar10-folders.tar.gz is incomplete: its train/" in err
    assert "Copy the kit again" in err


# ---- planning before anything slow ---------------------------------------------------------


@pytest.mark.parametrize(
    "argv",
    [["run", "-p", "lr", "abc", "--notebooks", "04"], ["sweep", "lr", "abc"]],
    ids=["run", "sweep"],
)
def test_a_bad_value_is_refused_before_any_download(tmp_path, capsys, monkeypatch, argv):
    monkeypatch.setenv("CIFAR10_ROOT", str(tmp_path / "no-cifar10"))
    tried = []
    monkeypatch.setattr(official, "download", lambda root: tried.append(root))
    err = refused(capsys, [*argv, "--output-dir", str(tmp_path / "runs")], "lr='abc'")
    assert "lr must be a finite number" in err
    assert tried == [] and entries(tmp_path) == set()


# ---- bad input to every command: one line naming the option, exit 2, nothing left ----------

BAD_INPUTS = {
    "bundle-dir-is-a-file": (["bundle", "{file}", "--no-data"], "DIR='{file}'"),
    "bundle-dir-read-only": (["bundle", READ_ONLY, "--no-data"], "DIR="),
    "bundle-data-archive-missing": (["bundle", "{tmp}/kit", "--data-archive", "{tmp}/none.tgz"],
                                    "--data-archive"),
    "bundle-python-version": (["bundle", "{tmp}/kit", "--python-version", "abc"],
                              "--python-version='abc'"),
    "bundle-platform": (["bundle", "{tmp}/kit", "--platform", "win 64"], "--platform='win 64'"),
    "bundle-no-data-and-archive": (["bundle", "{tmp}/kit", "--no-data", "--data-archive",
                                    "{file}"], "--no-data"),
    "bundle-data-root-missing": (["bundle", "{tmp}/kit", "--data-root", "{tmp}/none"],
                                 "--data-root"),
    "bundle-torch-twice": (["bundle", "{tmp}/kit", "--torch-cpu", "--without-torch"],
                           "--torch-cpu"),
    "run-output-dir-read-only": (["run", "--profile", "smoke", "--output-dir", READ_ONLY],
                                 "--output-dir"),
    "run-output-dir-is-a-file": (["run", "--profile", "smoke", "--output-dir", "{file}"],
                                 "--output-dir"),
    "run-name": (["run", "--profile", "smoke", "--name", "../up"], "--name"),
    "run-unknown-option": (["run", "--epochs", "3"], "--epochs"),
    "run-parameter-file-missing": (["run", "-f", "{tmp}/none.yaml"], "-f="),
    "sweep-no-value": (["sweep", "lr"], "VALUE"),
    "sweep-second-value": (["sweep", "epochs", "1", "many", "--notebooks", "04"], "epochs='many'"),
    "list-notebooks": (["list", "--notebooks", "99"], "--notebooks='99'"),
    "list-notebook-dir-is-a-file": (["list", "--notebook-dir", "{file}"], "--notebook-dir"),
    "doctor-data-root-is-a-file": (["doctor", "--data-root", "{file}"], "--data-root"),
    "doctor-notebook-dir-missing": (["doctor", "--notebook-dir", "{tmp}/none"], "--notebook-dir"),
    "prefetch-data-root-read-only": (["prefetch", "--data-root", READ_ONLY], "--data-root"),
    "prefetch-archive-is-a-folder": (["prefetch", "--data-root", "{tmp}/d", "--from-archive",
                                      "{tmp}"], "--from-archive"),
    "prefetch-archive-not-a-tar": (["prefetch", "--data-root", "{tmp}/d", "--from-archive",
                                    "{file}"], "--from-archive"),
    "guide-output-read-only": (["guide", "--from-run", "{tmp}", "-o", READ_ONLY + "/g.md"], "-o="),
    "guide-no-run": (["guide"], "--from-run"),
    "exercises-output-read-only": (["exercises", "--output-dir", READ_ONLY], "--output-dir"),
    "exercises-output-is-a-file": (["exercises", "--output-dir", "{file}"], "--output-dir"),
}  # fmt: skip


@pytest.mark.parametrize("case", BAD_INPUTS, ids=list(BAD_INPUTS))
def test_bad_input_to_a_command_is_refused_in_one_line(tmp_path, capsys, monkeypatch, case):
    monkeypatch.setenv("CIFAR10_ROOT", str(tmp_path / "no-cifar10"))
    monkeypatch.setattr(official, "download", lambda root: pytest.fail("tried to download"))
    monkeypatch.setattr(bundle, "download_wheels", lambda *a, **k: pytest.fail("pip ran"))
    file = tmp_path / "notes.txt"
    file.write_text("not a folder, not an archive\n")
    argv, named = BAD_INPUTS[case]
    fill = {"{tmp}": str(tmp_path), "{file}": str(file)}
    for key, value in fill.items():
        argv = [arg.replace(key, value) for arg in argv]
        named = named.replace(key, value)
    before = entries(tmp_path)
    refused(capsys, argv, named)
    assert entries(tmp_path) == before
    assert not os.path.exists(READ_ONLY)
