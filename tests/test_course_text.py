"""The shared helpers: times, sizes, HTML pages, atomic files, an error's first line."""

from __future__ import annotations

import os

import pytest

from cifar_tutorial.course.html_page import image_tag, page, table
from cifar_tutorial.course.machine import load_average
from cifar_tutorial.course.text import duration_text, seconds_text, size_text
from cifar_tutorial.errors import first_line
from cifar_tutorial.files import atomic_file, atomic_write


def test_times_and_sizes():
    assert [seconds_text(s) for s in (7.4, 89, 582)] == ["7 s", "89 s", "9.7 min"]
    assert [duration_text(s) for s in (7.4, 65, 3725)] == ["7 s", "1 min 05 s", "1 h 02 min"]
    assert size_text(14_300) == "14 kB" and size_text(2_400_000) == "2.4 MB"
    assert size_text(1_234_000_000, decimals=0) == "1,234 MB"


def test_a_page_is_one_self_contained_document():
    text = page("a <run>", "<p>body</p>")
    assert text.startswith("<!DOCTYPE html>") and text.endswith("</body></html>\n")
    assert "<title>a &lt;run&gt;</title>" in text and "<style>" in text and "<p>body</p>" in text
    assert (
        table(["a"], [["<b>"]]) == "<table><tr><th>a</th></tr><tr><td>&lt;b&gt;</td></tr></table>"
    )
    assert image_tag("AAA", 'x"y') == '<img src="data:image/png;base64,AAA" alt="x&quot;y">'


def test_atomic_write_leaves_the_old_file_on_an_error(tmp_path):
    path = tmp_path / "deeper" / "summary.json"
    assert atomic_write(path, "one") == path and path.read_text() == "one"
    assert path.stat().st_mode & 0o044 == 0o044
    with pytest.raises(RuntimeError), atomic_file(path) as handle:
        handle.write(b"half")
        raise RuntimeError("stopped")
    assert path.read_text() == "one"
    assert os.listdir(path.parent) == ["summary.json"]  # no temporary file left behind


def test_first_line_of_an_error():
    assert first_line(RuntimeError("\n  out of memory \nat line 3")) == "out of memory"
    assert first_line(ValueError()) == "ValueError"
    assert first_line(RuntimeError("x" * 200)) == "x" * 117 + "..."
    assert first_line(RuntimeError("x" * 200), limit=None) == "x" * 200
    long = RuntimeError("Weights only load failed.\nWeightsUnpickler error: bad header\nmore")
    assert first_line(long, after="WeightsUnpickler error:") == "bad header"


def test_the_load_average_is_a_number_or_none():
    load = load_average()
    assert load is None or load >= 0


def test_the_guide_names_the_cores_the_run_recorded():
    from cifar_tutorial.course.guide import cpu_text

    assert cpu_text({"machine": {"cores": 2}}) == "a 2-core CPU"
    assert cpu_text({"machine": {"cores": 8}}) == "an 8-core CPU"
    assert cpu_text({"machine": None}) == "the machine above"
