"""The networks: ``Net`` (notebooks 02-07 and ``distributed/``) and ``WideNet`` (notebook 06)."""

from __future__ import annotations

import torch
import torch.nn as nn
import torch.nn.functional as F


class Net(nn.Module):
    """The reference tutorial's LeNet-style network: two conv layers, three linear layers.
    3x32x32 -> conv 5x5 (6) -> pool -> conv 5x5 (16) -> pool -> 400 -> 120 -> 84 -> 10, 62,006
    parameters."""

    def __init__(self) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(3, 6, 5)
        self.pool = nn.MaxPool2d(2, 2)
        self.conv2 = nn.Conv2d(6, 16, 5)
        self.fc1 = nn.Linear(16 * 5 * 5, 120)
        self.fc2 = nn.Linear(120, 84)
        self.fc3 = nn.Linear(84, 10)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.pool(F.relu(self.conv1(x)))
        x = self.pool(F.relu(self.conv2(x)))
        x = torch.flatten(x, 1)  # all dimensions except the batch
        x = F.relu(self.fc1(x))
        x = F.relu(self.fc2(x))
        return self.fc3(x)


class WideNet(nn.Module):
    """The same shape of network, ``width`` times wider: enough work for a GPU to pay off."""

    def __init__(self, width: int = 8) -> None:
        super().__init__()
        c1, c2, hidden = 6 * width, 16 * width, 120 * width
        self.features = nn.Sequential(
            nn.Conv2d(3, c1, 5), nn.ReLU(), nn.MaxPool2d(2, 2),
            nn.Conv2d(c1, c2, 5), nn.ReLU(), nn.MaxPool2d(2, 2),
        )  # fmt: skip
        self.classifier = nn.Sequential(
            nn.Flatten(), nn.Linear(c2 * 5 * 5, hidden), nn.ReLU(), nn.Linear(hidden, 10)
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.classifier(self.features(x))


def count_parameters(net: nn.Module) -> int:
    """How many numbers training adjusts."""
    return sum(p.numel() for p in net.parameters() if p.requires_grad)
