"""Lower precision where the hardware computes it fast: bfloat16 autocast, or plain float32.
bfloat16 keeps float32's range with fewer digits. NVIDIA GPUs since Ampere and CPUs with
AVX512-BF16 or AMX compute it natively, about twice as fast; elsewhere it is emulated and
*slower*, so ``"auto"`` uses it only where it is native."""

from __future__ import annotations

from contextlib import AbstractContextManager, nullcontext

import torch

from ..validation import check_choice

PRECISIONS = ("auto", "float32", "bfloat16")


def cpu_has_fast_bfloat16() -> bool:
    """Whether this CPU computes bfloat16 natively (AVX512-BF16 or AMX), as oneDNN reports.
    Without it (e.g. AVX2-only processors) bfloat16 is emulated and several times *slower* than
    float32."""
    try:
        return bool(torch.ops.mkldnn._is_mkldnn_bf16_supported())
    except (AttributeError, RuntimeError):
        return False


def autocast_dtype(device: torch.device, precision: str = "auto") -> torch.dtype | None:
    """The dtype to autocast to on ``device`` (``None`` = plain float32).
    ``"auto"`` picks bfloat16 on CUDA GPUs that support it and on CPUs that compute it natively,
    float32 everywhere else (Apple's MPS included)."""
    precision = check_choice("precision", precision, PRECISIONS)
    if precision == "float32":
        return None
    if precision == "bfloat16":
        return torch.bfloat16
    if device.type == "cuda" and torch.cuda.is_bf16_supported():
        return torch.bfloat16
    if device.type == "cpu" and cpu_has_fast_bfloat16():
        return torch.bfloat16
    return None


def autocast(device: torch.device, dtype: torch.dtype | None) -> AbstractContextManager:
    """``torch.autocast`` to ``dtype``, or nothing at all when ``dtype`` is ``None``."""
    if dtype is None:
        return nullcontext()
    return torch.autocast(device.type, dtype=dtype)
