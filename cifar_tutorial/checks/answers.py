"""Read a learner's answer as a number, a shape or a tensor, or stop with a hint (``NotYet``)."""

from __future__ import annotations

import math
import numbers

import torch

from .feedback import NotYet


def kind(value: object) -> str:
    """What ``value`` is, in a few words a learner recognises: "a tensor of shape (4, 10)"."""
    if isinstance(value, torch.Tensor):
        return f"a tensor of shape {tuple(value.shape)}"
    if isinstance(value, (list, tuple)):
        return f"a {type(value).__name__} of {len(value)} items"
    if value is None:
        return "None (does the cell end with a print instead of an assignment?)"
    return f"a {type(value).__name__}"


def as_number(answer: object, what: str = "your answer") -> float:
    """``answer`` as a float: a Python number or a one-element tensor."""
    if isinstance(answer, torch.Tensor) and answer.numel() == 1:
        answer = answer.item()
    if isinstance(answer, bool) or not isinstance(answer, numbers.Real):
        raise NotYet(f"{what} should be a number; it is {kind(answer)}.")
    value = float(answer)
    if not math.isfinite(value):
        raise NotYet(f"{what} is {value}: a finite number is expected.")
    return value


def as_shape(answer: object, what: str = "your answer") -> tuple[int, ...]:
    """``answer`` as a shape: a tuple, list or ``torch.Size`` of whole numbers."""
    if isinstance(answer, torch.Tensor):
        raise NotYet(f"{what} is a tensor; give its shape as a tuple, e.g. (2, 3).")
    if not isinstance(answer, (tuple, list)):
        raise NotYet(f"{what} should be a shape such as (2, 3); it is {kind(answer)}.")
    if not all(isinstance(size, int) and not isinstance(size, bool) for size in answer):
        raise NotYet(f"{what} should hold whole numbers only, such as (2, 3).")
    return tuple(answer)


def as_tensor(answer: object, what: str = "your answer") -> torch.Tensor:
    """``answer`` as a floating-point tensor, detached from autograd."""
    if not isinstance(answer, torch.Tensor):
        raise NotYet(f"{what} should be a tensor; it is {kind(answer)}.")
    if not answer.is_floating_point():
        raise NotYet(f"{what} holds {answer.dtype}; a floating-point tensor is expected.")
    return answer.detach().float().cpu()


def close(answer: torch.Tensor, expected: torch.Tensor, tolerance: float = 1e-4) -> bool:
    """Whether two tensors of the same shape agree within ``tolerance`` of ``expected``'s size."""
    if answer.shape != expected.shape:
        return False
    scale = max(expected.abs().max().item(), 1e-12)
    return bool((answer - expected).abs().max().item() <= tolerance * scale)
