"""Training the fast network: the loop, and the four ideas that make each step count.

* **Nesterov SGD** (or :mod:`~cifar_tutorial.modern.muon` for the filters) whose rate **warms
  up**, then **decays** linearly over the steps of ``epochs`` or a ``budget`` (:mod:`.budget`);
* **label smoothing**: with 0.2 the target is 80% the true class and 20% spread over all ten,
  so the network is never pushed towards infinitely confident outputs;
* **weight decay**, and a 64 times larger learning rate for the batch-norm shifts (biases);
* **lookahead**: every few steps the weights are pulled towards a slow moving average of
  themselves, which evens out the noise of single batches.

Two make each step cheaper: the ``channels_last`` layout convolution kernels prefer, and
bfloat16 autocast where the hardware computes it fast.
"""

from __future__ import annotations

import copy
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

import torch
import torch.nn as nn

from ..data import ImageSet
from ..device import synchronize
from ..errors import TrainingDivergedError
from ..live import Output
from .augment import normalized, shrink, test_batches, train_batches
from .budget import StepCount, plan_budget, seconds_per_call
from .evaluate import TEST_BATCH, tta_logits
from .muon import filters_as_matrices, make_muon
from .net import FastNet, init_whitening
from .precision import PRECISIONS, autocast, autocast_dtype, cpu_has_fast_bfloat16  # noqa: F401
from .progress import LiveTraining

LOOKAHEAD_EVERY = 5  # steps between two lookahead updates
WHITENING_BIAS_FRACTION = 0.3  # the whitening layer's bias learns for the first 30% of steps


def make_optimizer(
    net: nn.Module,
    lr: float,
    momentum: float,
    weight_decay: float,
    bias_lr_scale: float,
    skip: list[nn.Parameter] = (),
) -> torch.optim.SGD:
    """Nesterov SGD; batch-norm shifts get ``bias_lr_scale`` times the learning rate.
    Their weight decay is divided by the same factor, so that every parameter decays by the same
    amount per step (``lr * weight_decay``). Parameters in ``skip`` are another optimizer's."""
    skipped = {id(p) for p in skip}
    trained = [
        (n, p) for n, p in net.named_parameters() if p.requires_grad and id(p) not in skipped
    ]
    norm_biases = [p for name, p in trained if "norm" in name]
    others = [p for name, p in trained if "norm" not in name]
    groups = [
        {"params": norm_biases, "lr": lr * bias_lr_scale,
         "weight_decay": weight_decay / bias_lr_scale},
        {"params": others, "lr": lr, "weight_decay": weight_decay},
    ]  # fmt: skip
    return torch.optim.SGD(groups, lr=lr, momentum=momentum, nesterov=momentum > 0)


def make_optimizers(net: nn.Module, recipe) -> list[torch.optim.Optimizer]:
    """The recipe's optimizers: Nesterov SGD for everything, or, with ``optimizer="muon"``,
    Muon for the 3x3 convolution filters and Nesterov SGD for the rest."""
    muon = recipe.optimizer == "muon"
    matrices = filters_as_matrices(net) if muon else []
    sgd = make_optimizer(net, recipe.lr, recipe.momentum, recipe.weight_decay,
                         recipe.bias_lr_scale, skip=matrices)  # fmt: skip
    return [sgd, make_muon(matrices, recipe.muon_lr, recipe.muon_momentum)] if muon else [sgd]


def warmup_then_decay(
    total_steps: int, warmup: float = 0.23, start: float = 0.2, end: float = 0.07
) -> Callable[[int], float]:
    """Learning-rate multiplier for each step: ``start`` -> 1 over the first ``warmup``
    fraction of the steps, then linearly down to ``end`` at the last step (with ``warmup=0``
    and ``end=1`` the rate stays constant)."""
    warmup_steps = round(total_steps * warmup)

    def multiplier(step: int) -> float:
        if step < warmup_steps:
            return start + (1 - start) * step / warmup_steps
        fraction = (step - warmup_steps) / max(1, total_steps - warmup_steps)
        return 1 + (end - 1) * min(fraction, 1.0)

    return multiplier


class Lookahead:
    """A slow copy of the weights; every few steps the fast weights are reset to a blend.
    ``update(net, decay)`` moves the slow copy ``1 - decay`` of the way towards the current weights,
    then copies it back into the network. Early on ``decay`` is near 0 (plain SGD); it grows to 0.77
    by the end, averaging over ever more steps as the learning rate falls."""

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
    budget: StepCount | None = None  # with a time budget: what was measured and chosen


def build_net(recipe, device: torch.device) -> FastNet:
    """The network of ``recipe``, in its memory layout, on ``device`` (with Muon, its
    filters stored as matrices)."""
    net = FastNet(recipe.widths).to(device)
    if recipe.channels_last:
        net = net.to(memory_format=torch.channels_last)
    if recipe.optimizer == "muon":
        filters_as_matrices(net)
    return net


def train_step(
    net: nn.Module,
    optimizers: list[torch.optim.Optimizer],
    criterion: nn.Module,
    images: torch.Tensor,
    labels: torch.Tensor,
    dtype: torch.dtype | None,
) -> torch.Tensor:
    """One step: forward pass and loss (autocast to ``dtype``), gradients, every optimizer."""
    with autocast(images.device, dtype):
        loss = criterion(net(images), labels)
    for optimizer in optimizers:
        optimizer.zero_grad(set_to_none=True)
    loss.backward()
    for optimizer in optimizers:
        optimizer.step()
    return loss.detach()


def plan_steps(
    net: nn.Module,
    recipe,
    batches,
    test_set: ImageSet | None,
    *,
    started: float,
    clock: Callable[[], float] = time.perf_counter,
) -> StepCount:
    """Time a throwaway copy of ``net`` at each image size the recipe uses, and its test on
    one batch, then plan the number of steps that fits ``recipe.budget`` (minutes); the
    result plans again from the real steps' speed (see :class:`StepCount`)."""
    device = batches.device
    dtype = autocast_dtype(device, recipe.precision)
    layout = torch.channels_last if recipe.channels_last else torch.contiguous_format
    copied = copy.deepcopy(net)
    optimizers = make_optimizers(copied, recipe)
    criterion = nn.CrossEntropyLoss(label_smoothing=recipe.label_smoothing)
    served = endless(batches)  # the loop's whole step: a batch cut and augmented, trained on

    def step_at_size(size: int) -> Callable[[], torch.Tensor]:
        def step() -> torch.Tensor:
            images, labels = next(served)
            if size != images.shape[-1]:
                images = shrink(images, size)
            images = images.contiguous(memory_format=layout)
            return train_step(copied, optimizers, criterion, images, labels, dtype)

        return step

    lookahead_share = 0.0  # lookahead updates the weights every few steps: its share per step
    if recipe.lookahead:
        slow = Lookahead(copied)
        update = seconds_per_call(lambda: slow.update(copied, 0.5), 1, clock, device)
        lookahead_share = update / LOOKAHEAD_EVERY

    test_at, test_scale = None, 0.0
    if test_set is not None and len(test_set):
        test_images, _ = next(iter(test_batches(test_set, TEST_BATCH, device=device)))
        test_images = test_images.contiguous(memory_format=layout)
        test_scale = len(test_set) / len(test_images)

        @torch.no_grad()
        def test_at() -> None:
            copied.eval()
            with autocast(device, dtype):
                tta_logits(copied, test_images, recipe.tta).argmax(1).cpu()
            copied.train()

    sizes = [batches.images.shape[-1]] + ([recipe.low_res_size] if recipe.low_res_size else [])
    plan = plan_budget(recipe.budget, started=started, step_at_size=step_at_size, sizes=sizes,
                       test_at=test_at, test_scale=test_scale, per_step_extra=lookahead_share,
                       low_res_fraction=recipe.low_res_fraction,
                       steps_per_epoch=len(batches), clock=clock, device=device)  # fmt: skip
    return StepCount(plan.total_steps, plan.low_res_steps, plan, started)


def fixed_steps(recipe, steps_per_epoch: int) -> StepCount:
    """The steps of ``recipe.epochs`` epochs, and how many of them on small images."""
    total = max(1, round(recipe.epochs * steps_per_epoch))
    return StepCount(total, round(recipe.low_res_fraction * total) if recipe.low_res_size else 0)


def endless(batches) -> Iterator:
    """The batches of ``batches``, epoch after epoch, for as long as they are asked for."""
    while True:
        yield from batches


def train(
    net: FastNet,
    train_set,
    recipe,
    *,
    device: torch.device | str = "cpu",
    seed: int = 0,
    verbose: bool = True,
    test_set: ImageSet | None = None,
    clock: Callable[[], float] = time.perf_counter,
    live: Output | str | None = None,
) -> TrainLog:
    """Train ``net`` on ``train_set`` (an :class:`~cifar_tutorial.data.ImageSet`) as
    ``recipe`` (a :class:`~cifar_tutorial.modern.ModernRecipe`) says; return the log. The time
    counted runs from before the whitening layer is computed to the last step. With a
    ``recipe.budget``, the steps are chosen so that training and then testing ``test_set``
    (with the recipe's test-time augmentation) fit in it. ``live="notebook"`` redraws the loss
    and the accuracy on a few images of ``test_set`` against time while it trains, as notebook
    07 does (:class:`~cifar_tutorial.modern.progress.LiveTraining`); ``None``: no live view."""
    device = torch.device(device)
    dtype = autocast_dtype(device, recipe.precision)
    memory_format = torch.channels_last if recipe.channels_last else torch.contiguous_format
    batches = train_batches(train_set, recipe.batch_size, flip=recipe.flip,
                            translate=recipe.translate, device=device, seed=seed)  # fmt: skip
    criterion = nn.CrossEntropyLoss(label_smoothing=recipe.label_smoothing)
    log = TrainLog()
    synchronize(device)
    start = clock()

    if recipe.whiten:  # the first layer, computed from 5,000 training images
        init_whitening(net.whiten, normalized(train_set, 5000).to(device))
    else:  # ... or learned like any other layer
        net.whiten.weight.requires_grad_(True)
    optimizers = make_optimizers(net, recipe)
    if recipe.budget is not None:
        steps = log.budget = plan_steps(net, recipe, batches, test_set, started=start, clock=clock)
        if verbose:
            print(steps.describe())
    else:
        steps = fixed_steps(recipe, len(batches))

    def schedule(step: int) -> float:  # follows the number of steps when it is planned again
        return warmup_then_decay(steps.total, recipe.warmup, end=recipe.final_lr)(step)

    schedulers = [torch.optim.lr_scheduler.LambdaLR(o, schedule) for o in optimizers]
    lookahead = Lookahead(net) if recipe.lookahead else None

    net.train()
    step, epoch, losses = 0, 0, []  # every step's loss, as a tensor (read once per epoch)
    live_view = LiveTraining(net, test_set, recipe, device, started=start, clock=clock,
                             output=live)  # fmt: skip
    with live_view:
        while step < steps.total:
            batches.set_epoch(epoch)
            first = len(losses)
            for images, labels in batches:
                if step < steps.low_res:  # progressive resizing: small images first
                    images = shrink(images, recipe.low_res_size)
                images = images.contiguous(memory_format=memory_format)
                losses.append(train_step(net, optimizers, criterion, images, labels, dtype))
                for scheduler in schedulers:
                    scheduler.step()
                step += 1
                steps.after_step(step, clock())  # with a budget: plans again from the real speed
                if net.whiten.bias.requires_grad and step >= WHITENING_BIAS_FRACTION * steps.total:
                    net.whiten.bias.requires_grad_(False)  # the optimizer now skips it
                if lookahead is not None and step % LOOKAHEAD_EVERY == 0:
                    lookahead.update(net, Lookahead.decay(step, steps.total))
                live_view.update(losses)  # with live only: now and then, redrawn
                if step >= steps.total:
                    break
            epoch += 1
            check_losses(losses[first:], epoch)
            log.losses += torch.stack(losses[first:]).float().tolist()
            log.epoch_seconds.append(clock() - start)
            if verbose:
                mean_loss = sum(log.losses[first:]) / (len(log.losses) - first)
                print(f"epoch {epoch}: mean loss {mean_loss:.3f}, "
                      f"{log.epoch_seconds[-1]:.0f} s so far")  # fmt: skip
        if lookahead is not None:
            lookahead.update(net, decay=1.0)  # finish on the slow weights
        synchronize(device)
        log.seconds = clock() - start
    log.steps = step
    return log


def check_losses(losses: list[torch.Tensor], epoch: int) -> None:
    """Stop with a clear message if the loss became NaN or infinite during the epoch."""
    if not torch.isfinite(torch.stack(losses)).all():
        raise TrainingDivergedError(
            f"The loss became NaN or infinite in epoch {epoch}: training diverged. "
            "Lower the learning rate (lr), e.g. to a half, and train again."
        )
