"""The feedback core of the exercises: one line, right or not yet, never a traceback."""

from __future__ import annotations

import pytest
import torch

from cifar_tutorial.checks import STUB, Feedback, NotYet, checker, is_stub, not_yet, right
from cifar_tutorial.checks.answers import as_number, as_shape, as_tensor, close, kind
from cifar_tutorial.checks.feedback import GRADER, CheckFailed, graded


@checker("multiply the two numbers")
def product(answer, a, b):
    """A small checker as the notebooks' modules write them."""
    value = as_number(answer, "my_product")
    if value == a + b:
        raise NotYet("you added them; multiply instead.")
    if value != a * b:
        return not_yet("not the product of the two numbers.")
    return right("products are everywhere in a network.")


@checker("call the function")
def calls(function):
    return right(f"it returned {function()}")


def test_feedback_prints_one_plain_line_and_renders_html():
    assert str(right("it matters")) == repr(right("it matters")) == "Right! it matters"
    feedback = not_yet("use `dim=1` <here>")
    assert repr(feedback) == "Not yet: use `dim=1` <here>"
    html = feedback._repr_html_()
    assert "Not yet:" in html and "<code>dim=1</code>" in html and "&lt;here&gt;" in html
    assert "\n" not in html
    assert Feedback(True, "x").right and not Feedback(False, "x").right


def test_checker_says_right_and_gives_each_mistake_its_own_hint():
    assert product(12, 3, 4) == right("products are everywhere in a network.")
    assert product(7, 3, 4).message == "you added them; multiply instead."
    assert product(13, 3, 4).message == "not the product of the two numbers."
    assert product("12", 3, 4).message == "my_product should be a number; it is a str."


def test_the_stub_gets_replace_and_the_first_hint():
    assert is_stub(STUB) and is_stub(...) and not is_stub(None)
    feedback = product(..., 3, 4)
    assert not feedback.right
    assert (
        str(feedback) == "Not yet: replace `...` with your answer. Hint: multiply the two numbers"
    )
    assert product.first_hint == "multiply the two numbers"
    assert product.__name__ == "product" and "small checker" in product.__doc__


def test_an_error_in_the_answer_becomes_one_line_without_traceback():
    def broken():
        raise RuntimeError("mat1 and mat2 shapes cannot be multiplied (4x400 and 300x120)\nmore")

    feedback = calls(broken)
    assert str(feedback) == (
        "Not yet: your answer raised RuntimeError: mat1 and mat2 shapes cannot be multiplied "
        "(4x400 and 300x120)"
    )
    assert "Traceback" not in str(feedback)
    assert calls(lambda: 1 / 0).message == "your answer raised ZeroDivisionError: division by zero"
    long = calls(lambda: exec("raise ValueError('x' * 500)")).message
    assert len(long) < 200 and long.endswith("...")


def test_answers_are_read_as_numbers_shapes_and_tensors():
    assert as_number(3) == 3.0 and as_number(torch.tensor([2.5])) == 2.5
    for wrong, hint in [
        (True, "it is a bool"),
        ((1, 2), "it is a tuple of 2 items"),
        (None, "print instead of an assignment"),
        (float("nan"), "a finite number is expected"),
    ]:
        with pytest.raises(NotYet, match=hint):
            as_number(wrong)
    assert as_shape([4, 6]) == (4, 6) and as_shape(torch.Size([4, 6])) == (4, 6)
    with pytest.raises(NotYet, match="give its shape as a tuple"):
        as_shape(torch.zeros(4, 6))
    with pytest.raises(NotYet, match="whole numbers only"):
        as_shape((4.0, 6))
    with pytest.raises(NotYet, match="it is a int"):
        as_shape(4)
    values = torch.ones(2, requires_grad=True) * 2
    assert torch.equal(as_tensor(values), torch.full((2,), 2.0))
    with pytest.raises(NotYet, match="holds torch.int64"):
        as_tensor(torch.arange(3))
    with pytest.raises(NotYet, match="should be a tensor; it is a list of 3 items"):
        as_tensor([1.0, 2.0, 3.0])
    assert kind(torch.zeros(4, 10)) == "a tensor of shape (4, 10)"


def test_close_compares_relative_to_the_expected_size():
    expected = torch.tensor([1000.0, -2000.0])
    assert close(expected + 0.1, expected)
    assert not close(expected + 1.0, expected)
    assert not close(expected[:1], expected)


def test_under_nbgrader_a_check_prints_right_or_fails_its_test_cell(monkeypatch, capsys):
    monkeypatch.setenv(GRADER, "autograde")
    assert product(12, 3, 4) is None  # nothing for nbgrader to read as a partial grade
    assert capsys.readouterr().out == "Right! products are everywhere in a network.\n"
    with pytest.raises(CheckFailed, match=r"^Not yet: you added them; multiply instead\.$"):
        product(7, 3, 4)
    with pytest.raises(CheckFailed, match=r"^Not yet: replace `\.\.\.` with your answer\. Hint"):
        product(..., 3, 4)
    assert issubclass(CheckFailed, AssertionError)
    monkeypatch.delenv(GRADER)
    assert product(7, 3, 4) == not_yet("you added them; multiply instead.")
    assert graded(right("x")) == right("x") and capsys.readouterr().out == ""
