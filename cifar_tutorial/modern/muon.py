"""Muon for the convolution filters, Nesterov SGD for everything else (as airbench94_muon).
Muon (MomentUm Orthogonalized by Newton-Schulz) replaces the momentum of a weight *matrix* by its
nearest orthogonal matrix (singular values about 1, by a few Newton-Schulz iterations) before
applying it: every direction moves by the same amount, instead of the few with the largest gradients
taking almost all of the step. A 3x3 convolution's filters ``(out, in, 3, 3)`` are the matrix
``(out, in * 9)`` to Muon; :func:`filters_as_matrices` stores them so (a ``parametrize`` view,
computing as before) for ``torch.optim.Muon``, which takes 2-D only."""

from __future__ import annotations

import torch
import torch.nn as nn
from torch.nn.utils import parametrize

OPTIMIZERS = ("sgd", "muon")


class FilterMatrix(nn.Module):
    """A parametrization: the filters are stored as a matrix and used as a 4-D tensor."""

    def __init__(self, shape: torch.Size) -> None:
        super().__init__()
        self.shape = tuple(shape)

    def forward(self, matrix: torch.Tensor) -> torch.Tensor:
        return matrix.view(self.shape)

    def right_inverse(self, filters: torch.Tensor) -> torch.Tensor:
        return filters.flatten(1)


def filters_as_matrices(net: nn.Module) -> list[nn.Parameter]:
    """Store the filters of every trainable 3x3 convolution of ``net`` as ``(out, in * 9)``
    matrices; return those matrices (the parameters Muon trains)."""
    matrices = []
    for module in net.modules():
        if isinstance(module, nn.Conv2d) and module.kernel_size == (3, 3):
            if not parametrize.is_parametrized(module, "weight"):
                shape = module.weight.shape
                parametrize.register_parametrization(
                    module, "weight", FilterMatrix(shape), unsafe=True
                )
            matrices.append(module.parametrizations.weight.original)
    return matrices


@torch.no_grad()
def keep_filter_norms(matrices: list[nn.Parameter]) -> None:
    """Rescale each matrix to the norm ``sqrt(rows)`` (filters of length 1 on average).
    Batch normalization after each convolution makes the network blind to the filters' scale;
    Muon's steps have a fixed size, so growing filters would make each step count for less."""
    for matrix in matrices:
        matrix.mul_(len(matrix) ** 0.5 / matrix.norm().clamp(min=1e-12))


def make_muon(matrices: list[nn.Parameter], lr: float, momentum: float) -> torch.optim.Muon:
    """``torch.optim.Muon`` over ``matrices`` (no weight decay: their norm is kept fixed)."""
    muon = torch.optim.Muon(matrices, lr=lr, momentum=momentum, nesterov=True, weight_decay=0)
    muon.register_step_post_hook(lambda optimizer, *_: keep_filter_norms(matrices))
    return muon
