"""What the explorers compute, apart from any widget: a network's answer for one image, its top
classes, the test images of one cell of the confusion matrix, and Grad-CAM heat maps.

Grad-CAM (Selvaraju et al., 2017) weighs the maps of the last convolution layer by how much the
chosen class's score grows with each of them: where the map is bright, the network found what
made it say that class. It comes from captum, the PyTorch project's interpretability library
(``captum.attr.LayerGradCam``), not written here.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
import torch.nn as nn

from ..data import CLASSES


def network_device(net: nn.Module) -> torch.device:
    """Where ``net``'s weights are (the CPU for a network without any)."""
    return next((p.device for p in net.parameters()), torch.device("cpu"))


@torch.no_grad()
def class_probabilities(net: nn.Module, image: torch.Tensor) -> torch.Tensor:
    """Softmax probabilities ``(10,)`` of one normalized image ``(3, H, W)``, on the CPU."""
    net.eval()
    scores = net(image.unsqueeze(0).to(network_device(net)))
    return scores.float().softmax(dim=1)[0].cpu()


def top_classes(
    probabilities: torch.Tensor, k: int = 3, classes: Sequence[str] = CLASSES
) -> list[tuple[str, float]]:
    """The ``k`` most probable classes as ``(name, probability)``, most probable first."""
    values, indices = probabilities.topk(min(k, len(probabilities)))
    return [(classes[i], float(v)) for v, i in zip(values.tolist(), indices.tolist(), strict=True)]


def pair_indices(
    probabilities: torch.Tensor, labels: torch.Tensor, true: int, predicted: int
) -> torch.Tensor:
    """Indices of the images of class ``true`` that were predicted ``predicted``, the most
    confident first (confidence: the probability of the predicted class)."""
    confidence, guesses = probabilities.max(dim=1)
    chosen = ((labels == true) & (guesses == predicted)).nonzero().flatten()
    return chosen[confidence[chosen].argsort(descending=True)]


def last_conv_layer(net: nn.Module) -> nn.Conv2d:
    """The last ``nn.Conv2d`` of ``net``: where Grad-CAM looks (``conv2`` in ``Net``)."""
    layers = [module for module in net.modules() if isinstance(module, nn.Conv2d)]
    if not layers:
        raise ValueError(f"net: Grad-CAM needs a convolution layer; {type(net).__name__} has none")
    return layers[-1]


def grad_cam(
    net: nn.Module, image: torch.Tensor, target: int, layer: nn.Module | None = None
) -> torch.Tensor:
    """Grad-CAM heat map ``(H, W)`` in [0, 1] of the normalized image ``(3, H, W)`` for class
    ``target``, from ``layer`` (default: the last convolution layer) upsampled to the image size.
    All zero when nothing in the image speaks for ``target``."""
    from captum.attr import LayerAttribution, LayerGradCam  # ~0.6 s to import: only when used

    net.eval()
    layer = layer if layer is not None else last_conv_layer(net)
    inputs = image.unsqueeze(0).to(network_device(net))
    cam = LayerGradCam(net, layer).attribute(inputs, target=int(target), relu_attributions=True)
    heat = LayerAttribution.interpolate(cam, tuple(image.shape[-2:]), interpolate_mode="bilinear")
    heat = heat[0, 0].detach().float().cpu().clamp_min(0)
    peak = heat.max()
    return heat / peak if peak > 0 else heat


def conv_layers(net: nn.Module) -> dict[str, nn.Conv2d]:
    """``net``'s convolution layers by name, in order: ``{"conv1": ..., "conv2": ...}``."""
    return {name: m for name, m in net.named_modules() if isinstance(m, nn.Conv2d)}


@torch.no_grad()
def feature_maps(net: nn.Module, image: torch.Tensor, layer: str) -> torch.Tensor:
    """What convolution layer ``layer`` of ``net`` outputs for one normalized image ``(3, H, W)``,
    after ``relu`` as in ``forward``: ``(channels, h, w)`` on the CPU."""
    found: list[torch.Tensor] = []
    handle = conv_layers(net)[layer].register_forward_hook(
        lambda _module, _inputs, output: found.append(output)
    )
    try:
        net.eval()
        net(image.unsqueeze(0).to(network_device(net)))
    finally:
        handle.remove()
    return torch.relu(found[0][0]).float().cpu()
