"""Training the fast network: the loop, and the four ideas that make each step count.

* **Nesterov SGD** whose learning rate **warms up** for the first part of training and then
  **decays** linearly to a small fraction of its peak;
* **label smoothing**: with 0.2 the target is 80% the true class and 20% spread over all ten, so the
  network is never pushed towards infinitely confident outputs;
* **weight decay**, and a 64 times larger learning rate for the batch-norm shifts (biases);
* **lookahead**: every few steps the weights are pulled towards a slow moving average of
  themselves, which evens out the noise of single batches.

And two that make each step cheaper: ``channels_last`` memory layout (the layout the CPU's
and GPU's convolution kernels prefer) and lower precision (bfloat16 autocast) where the
hardware computes it fast.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field

import torch
import torch.nn as nn

from ..device import synchronize
from ..errors import TrainingDivergedError
from ..validation import check_choice
from .augment import normalized, shrink, train_batches
from .net import FastNet, init_whitening

PRECISIONS = ("auto", "float32", "bfloat16")
LOOKAHEAD_EVERY = 5  # steps between two lookahead updates
WHITENING_BIAS_FRACTION = 0.3  # the whitening layer's bias learns for the first 30% of steps


def cpu_has_fast_bfloat16() -> bool:
    """Whether this CPU computes bfloat16 natively (AVX512-BF16 or AMX), as oneDNN reports.

    Without it (e.g. AVX2-only processors) bfloat16 is emulated and several times *slower*
    than float32.
    """
    try:
        return bool(torch.ops.mkldnn._is_mkldnn_bf16_supported())
    except (AttributeError, RuntimeError):
        return False


def autocast_dtype(device: torch.device, precision: str = "auto") -> torch.dtype | None:
    """The dtype to autocast to on ``device`` (``None`` = plain float32).

    ``"auto"`` picks bfloat16 on CUDA GPUs that support it and on CPUs that compute it
    natively, float32 everywhere else (Apple's MPS included).
    """
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


def make_optimizer(
    net: nn.Module, lr: float, momentum: float, weight_decay: float, bias_lr_scale: float
) -> torch.optim.SGD:
    """Nesterov SGD; batch-norm shifts get ``bias_lr_scale`` times the learning rate.

    Their weight decay is divided by the same factor, so that every parameter decays by
    the same amount per step (``lr * weight_decay``).
    """
    norm_biases = [p for name, p in net.named_parameters() if "norm" in name and p.requires_grad]
    others = [p for name, p in net.named_parameters() if "norm" not in name and p.requires_grad]
    groups = [
        {"params": norm_biases, "lr": lr * bias_lr_scale,
         "weight_decay": weight_decay / bias_lr_scale},
        {"params": others, "lr": lr, "weight_decay": weight_decay},
    ]  # fmt: skip
    return torch.optim.SGD(groups, lr=lr, momentum=momentum, nesterov=momentum > 0)


def warmup_then_decay(
    total_steps: int, warmup: float = 0.23, start: float = 0.2, end: float = 0.07
) -> Callable[[int], float]:
    """Learning-rate multiplier for each step: ``start`` -> 1 over the first ``warmup``
    fraction of the steps, then linearly down to ``end`` at the last step.

    With ``warmup=0`` and ``end=1`` the rate stays constant.
    """
    warmup_steps = round(total_steps * warmup)

    def multiplier(step: int) -> float:
        if step < warmup_steps:
            return start + (1 - start) * step / warmup_steps
        fraction = (step - warmup_steps) / max(1, total_steps - warmup_steps)
        return 1 + (end - 1) * min(fraction, 1.0)

    return multiplier


class Lookahead:
    """A slow copy of the weights; every few steps the fast weights are reset to a blend.

    ``update(net, decay)`` moves the slow copy ``1 - decay`` of the way towards the current
    weights, then copies it back into the network. Early on ``decay`` is near 0 (plain SGD);
    it grows to 0.77 by the end, averaging over ever more steps as the learning rate falls.
    """

    def __init__(self, net: nn.Module) -> None:
        self.slow = {k: v.detach().clone() for k, v in net.state_dict().items()}

    @torch.no_grad()
    def update(self, net: nn.Module, decay: float) -> None:
        for key, value in net.state_dict().items():
            if value.is_floating_point():
                self.slow[key].lerp_(value, 1 - decay)
                value.copy_(self.slow[key])

    @staticmethod
    def decay(step: int, total_steps: int) -> float:
        """The schedule of airbench: ``0.95**5 * (step / total_steps)**3``."""
        return 0.95**LOOKAHEAD_EVERY * (step / total_steps) ** 3


@dataclass
class TrainLog:
    """What a training run leaves behind: one loss per step, and the time it took."""

    losses: list[float] = field(default_factory=list)
    seconds: float = 0.0
    steps: int = 0
    epoch_seconds: list[float] = field(default_factory=list)


def build_net(recipe, device: torch.device) -> FastNet:
    """The network of ``recipe``, in its memory layout, on ``device``."""
    net = FastNet(recipe.widths).to(device)
    if recipe.channels_last:
        net = net.to(memory_format=torch.channels_last)
    return net


def train(
    net: FastNet,
    train_set,
    recipe,
    *,
    device: torch.device | str = "cpu",
    seed: int = 0,
    verbose: bool = True,
) -> TrainLog:
    """Train ``net`` on ``train_set`` (an :class:`~cifar_tutorial.data.ImageSet`) as
    ``recipe`` (a :class:`~cifar_tutorial.modern.ModernRecipe`) says; return the log.

    The time counted starts before the whitening layer is computed and ends after the
    last step.
    """
    device = torch.device(device)
    dtype = autocast_dtype(device, recipe.precision)
    memory_format = torch.channels_last if recipe.channels_last else torch.contiguous_format
    batches = train_batches(train_set, recipe.batch_size, flip=recipe.flip,
                            translate=recipe.translate, device=device, seed=seed)  # fmt: skip
    total_steps = max(1, round(recipe.epochs * len(batches)))
    low_res_steps = round(recipe.low_res_fraction * total_steps) if recipe.low_res_size else 0
    criterion = nn.CrossEntropyLoss(label_smoothing=recipe.label_smoothing)
    log = TrainLog()
    synchronize(device)
    start = time.perf_counter()

    if recipe.whiten:  # the first layer, computed from 5,000 training images
        init_whitening(net.whiten, normalized(train_set, 5000).to(device))
    else:  # ... or learned like any other layer
        net.whiten.weight.requires_grad_(True)
    optimizer = make_optimizer(net, recipe.lr, recipe.momentum, recipe.weight_decay,
                               recipe.bias_lr_scale)  # fmt: skip
    schedule = warmup_then_decay(total_steps, recipe.warmup, end=recipe.final_lr)
    scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, schedule)
    lookahead = Lookahead(net) if recipe.lookahead else None

    net.train()
    step, epoch = 0, 0
    while step < total_steps:
        batches.set_epoch(epoch)
        losses = []
        for images, labels in batches:
            if step < low_res_steps:  # progressive resizing: small images first
                images = shrink(images, recipe.low_res_size)
            images = images.contiguous(memory_format=memory_format)
            with autocast(device, dtype):
                loss = criterion(net(images), labels)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            scheduler.step()
            losses.append(loss.detach())
            step += 1
            if step == round(WHITENING_BIAS_FRACTION * total_steps):
                net.whiten.bias.requires_grad_(False)  # the optimizer now skips it
            if lookahead is not None and step % LOOKAHEAD_EVERY == 0:
                lookahead.update(net, Lookahead.decay(step, total_steps))
            if step == total_steps:
                break
        epoch += 1
        check_losses(losses, epoch)
        log.losses += torch.stack(losses).float().tolist()
        log.epoch_seconds.append(time.perf_counter() - start)
        if verbose:
            mean_loss = sum(log.losses[-len(losses) :]) / len(losses)
            print(f"epoch {epoch}: mean loss {mean_loss:.3f}, {log.epoch_seconds[-1]:.0f} s so far")
    if lookahead is not None:
        lookahead.update(net, decay=1.0)  # finish on the slow weights
    synchronize(device)
    log.seconds = time.perf_counter() - start
    log.steps = step
    return log


def check_losses(losses: list[torch.Tensor], epoch: int) -> None:
    """Stop with a clear message if the loss became NaN or infinite during the epoch."""
    if not torch.isfinite(torch.stack(losses)).all():
        raise TrainingDivergedError(
            f"The loss became NaN or infinite in epoch {epoch}: training diverged. "
            "Lower the learning rate (lr), e.g. to a half, and train again."
        )
