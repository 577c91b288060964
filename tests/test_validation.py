"""The checks behind every parameter: cleaned values in, one clear line out when wrong."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from cifar_tutorial.course.options import (
    check_existing_dir,
    check_existing_file,
    check_writable_dir,
)
from cifar_tutorial.errors import ParameterError
from cifar_tutorial.validation import (
    check_bool,
    check_choice,
    check_float,
    check_int,
    check_writable_path,
)


@pytest.mark.parametrize(
    ("value", "expected"), [(3, 3), ("3", 3), (" 12 ", 12), (4.0, 4), ("4.0", 4)]
)
def test_check_int_accepts_whole_numbers_also_as_text(value, expected):
    assert check_int("epochs", value) == expected
    assert type(check_int("epochs", value)) is int


@pytest.mark.parametrize("value", [0, 11, 2.5, "two", "", None, True, [3]])
def test_check_int_refuses_others_with_one_line(value):
    with pytest.raises(ParameterError) as caught:
        check_int("epochs", value, minimum=1, maximum=10)
    message = str(caught.value)
    assert (
        message == f"epochs={value!r} is not allowed: epochs must be a whole number from 1 to 10."
    )
    assert caught.value.name == "epochs" and caught.value.value == value


@pytest.mark.parametrize(("value", "expected"), [(0.1, 0.1), ("1e-3", 0.001), (2, 2.0), ("5", 5.0)])
def test_check_float_accepts_numbers_also_as_text(value, expected):
    assert check_float("lr", value, minimum=0, exclusive_min=True) == expected


@pytest.mark.parametrize("value", [0, -1, math.nan, math.inf, "nan", "fast", None, False])
def test_check_float_refuses_out_of_range_and_non_finite(value):
    with pytest.raises(ParameterError, match=r"lr=.* lr must be a finite number > 0 and <= 10\."):
        check_float("lr", value, minimum=0, maximum=10, exclusive_min=True)


def test_check_float_bounds_are_inclusive_unless_said_otherwise():
    assert check_float("momentum", 0, minimum=0, maximum=1) == 0
    assert check_float("momentum", 1, minimum=0, maximum=1) == 1
    with pytest.raises(ParameterError, match="< 1"):
        check_float("momentum", 1, minimum=0, maximum=1, exclusive_max=True)


@pytest.mark.parametrize(
    ("value", "expected"),
    [(True, True), (False, False), ("true", True), ("No", False), (" YES ", True), ("0", False),
     (1, True), (0, False)],
)  # fmt: skip
def test_check_bool_reads_the_usual_spellings(value, expected):
    assert check_bool("resume", value) is expected


@pytest.mark.parametrize("value", ["maybe", 2, None, 1.0, ""])
def test_check_bool_refuses_others(value):
    with pytest.raises(ParameterError, match="resume must be True or False"):
        check_bool("resume", value)


def test_check_choice_ignores_case_and_returns_the_canonical_spelling():
    assert check_choice("recipe", " Fast ", ["fast", "reference"]) == "fast"
    with pytest.raises(ParameterError) as caught:
        check_choice("recipe", "quick", ["fast", "reference"])
    assert str(caught.value) == (
        "recipe='quick' is not allowed: recipe must be one of 'fast', 'reference'."
    )


def test_existing_paths(tmp_path):
    a_file = tmp_path / "weights.pth"
    a_file.write_bytes(b"")
    assert check_existing_dir("data_root", str(tmp_path)) == tmp_path
    assert check_existing_file("checkpoint_path", a_file) == a_file
    with pytest.raises(ParameterError, match="an existing folder"):
        check_existing_dir("data_root", a_file)
    with pytest.raises(ParameterError, match="an existing file"):
        check_existing_file("checkpoint_path", tmp_path / "missing.pth")
    with pytest.raises(ParameterError, match="an existing folder"):
        check_existing_dir("data_root", "  ")


def test_writable_paths(tmp_path):
    a_file = tmp_path / "notes.txt"
    a_file.write_text("")
    deep = tmp_path / "not" / "yet" / "there"
    assert check_writable_path("checkpoint_path", deep / "net.pth") == deep / "net.pth"
    assert check_writable_dir("output", deep) == deep
    assert not deep.exists()  # checking creates nothing
    with pytest.raises(ParameterError, match="this is a folder"):
        check_writable_path("checkpoint_path", tmp_path)
    with pytest.raises(ParameterError, match="this is a file"):
        check_writable_dir("output", a_file)
    with pytest.raises(ParameterError, match="a file path in a folder you can write to"):
        check_writable_path("checkpoint_path", a_file / "net.pth")
    assert check_writable_path("metrics_path", Path("~/m.json")) == Path.home() / "m.json"
