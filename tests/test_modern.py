"""The modern recipe (notebook 07): it learns, every switch does what it says, and the
benchmark scripts run end to end, all on the embedded sample in seconds."""

from __future__ import annotations

import json
import tarfile

import pytest
import torch
import torch.nn as nn
from tiny_cifar import save_image, subset

from benchmarks import gpu_modern, modern_recipe
from cifar_tutorial.data import CLASSES, load_split
from cifar_tutorial.errors import ParameterError
from cifar_tutorial.modern import (
    ABLATIONS,
    FastNet,
    Lookahead,
    autocast_dtype,
    cpu_has_fast_bfloat16,
    init_whitening,
    make_recipe,
    run,
    tta_logits,
    warmup_then_decay,
)
from cifar_tutorial.modern.augment import normalized, shrink
from cifar_tutorial.modern.net import image_patches
from cifar_tutorial.modern.train import make_optimizer, train

TINY = dict(widths=(8, 16, 16), epochs=1, batch_size=100, lr=0.2, tta=0)


@pytest.fixture(scope="module")
def sample():
    return load_split("sample", "train"), load_split("sample", "test")


@pytest.fixture(scope="module")
def tiny(sample):
    return subset(sample[0], 30), subset(sample[1], 10)


def test_the_recipe_learns_on_the_sample_in_seconds(sample):
    recipe = make_recipe("cpu", widths=(16, 32, 64), epochs=3, batch_size=250, lr=0.4)
    result = run(recipe, *sample, verbose=False)
    assert result.accuracy > 0.35  # chance is 0.10
    assert result.log.steps == 3 * (5000 // 250)
    assert result.log.losses[-1] < result.log.losses[0]
    assert result.seconds == pytest.approx(result.train_seconds + result.test_seconds)


@pytest.mark.parametrize("idea", sorted(ABLATIONS))
def test_every_idea_can_be_switched_off(idea, tiny):
    recipe = make_recipe("cpu", **{**TINY, "tta": 2, **ABLATIONS[idea]})
    for key, value in ABLATIONS[idea].items():
        assert getattr(recipe, key) == value
    result = run(recipe, *tiny, verbose=False)
    assert 0 <= result.accuracy <= 1
    assert all(torch.isfinite(torch.tensor(result.log.losses)))


def test_whitening_makes_the_patches_uncorrelated_with_unit_variance(sample):
    images = normalized(sample[0], 1000)
    conv = FastNet().whiten
    init_whitening(conv, images)
    half = conv.weight.shape[0] // 2
    torch.testing.assert_close(conv.weight[half:], -conv.weight[:half])  # each with its negative
    outputs = image_patches(images) @ conv.weight[:half].flatten(1).T
    covariance = outputs.T @ outputs / len(outputs)
    variances = covariance.diagonal()
    # uncorrelated (before whitening, the largest covariance is 0.94)
    torch.testing.assert_close(covariance, torch.diag(variances), atol=5e-3, rtol=0)
    # variance eigenvalue / (eigenvalue + eps): 1 where the patches really vary, the faintest
    # directions damped so as not to amplify noise
    patches = image_patches(images)
    eigenvalues = torch.linalg.eigvalsh(patches.T @ patches / len(patches)).flip(0)
    torch.testing.assert_close(variances, eigenvalues / (eigenvalues + 5e-4), atol=2e-3, rtol=0)
    assert (variances[:4] > 0.99).all()
    assert (variances <= 1.0001).all()


def test_the_whitening_layer_is_fixed_unless_switched_off(tiny):
    expected = FastNet().whiten
    init_whitening(expected, normalized(tiny[0], 5000))
    for whiten in (True, False):
        net = FastNet(TINY["widths"])
        before = net.whiten.weight.detach().clone()
        recipe = make_recipe("cpu", **TINY, whiten=whiten, lookahead=False)
        train(net, tiny[0], recipe, verbose=False)
        assert net.whiten.weight.requires_grad is not whiten
        if whiten:  # computed from the data, then left alone
            torch.testing.assert_close(net.whiten.weight, expected.weight)
        else:  # learned like any other layer
            assert not torch.equal(net.whiten.weight, before)


def test_test_time_augmentation_shapes_passes_and_mirror_symmetry():
    net = FastNet((8, 8, 8)).eval()
    calls = []
    net.register_forward_hook(lambda module, inputs, output: calls.append(len(inputs[0])))
    images = torch.randn(5, 3, 32, 32)
    for level, passes in ((0, 1), (1, 2), (2, 6)):
        calls.clear()
        with torch.no_grad():
            logits = tta_logits(net, images, level)
        assert logits.shape == (5, 10)
        assert calls == [5] * passes
    with torch.no_grad():
        mirrored = tta_logits(net, images.flip(3), 1)
        torch.testing.assert_close(mirrored, tta_logits(net, images, 1))
    with pytest.raises(ParameterError, match="tta"):
        tta_logits(net, images, 3)


def test_progressive_resizing_shows_small_images_first_then_full_size(tiny):
    recipe = make_recipe("cpu", **{**TINY, "epochs": 10}, low_res_size=20, low_res_fraction=0.7)
    net = FastNet(recipe.widths)
    sizes = []
    net.register_forward_pre_hook(lambda module, inputs: sizes.append(inputs[0].shape[-1]))
    train(net, tiny[0], recipe, verbose=False)
    assert sizes == [20] * 21 + [32] * 9  # 30 steps: 3 per epoch
    assert shrink(torch.rand(2, 3, 32, 32), 24).shape == (2, 3, 24, 24)


def test_warmup_then_decay_and_the_constant_schedule():
    schedule = warmup_then_decay(100, warmup=0.2, start=0.2, end=0.07)
    assert schedule(0) == pytest.approx(0.2)
    assert schedule(10) == pytest.approx(0.6)
    assert schedule(20) == pytest.approx(1.0)
    assert schedule(100) == pytest.approx(0.07)
    assert schedule(60) == pytest.approx(1 - 0.93 / 2)
    constant = warmup_then_decay(100, warmup=0.0, end=1.0)
    assert {constant(step) for step in range(101)} == {1.0}


def test_lookahead_blends_the_weights_and_finishes_on_the_slow_copy():
    net = nn.Linear(2, 2)
    lookahead = Lookahead(net)
    start = net.weight.detach().clone()
    with torch.no_grad():
        net.weight.add_(1.0)
    lookahead.update(net, decay=0.75)  # a quarter of the way from the slow weights
    torch.testing.assert_close(net.weight.detach(), start + 0.25)
    with torch.no_grad():
        net.weight.add_(1.0)
    lookahead.update(net, decay=1.0)  # back to the slow weights
    torch.testing.assert_close(net.weight.detach(), start + 0.25)


def test_batch_norm_shifts_get_the_larger_learning_rate_and_scales_are_fixed():
    net = FastNet((8, 8, 8))
    optimizer = make_optimizer(net, lr=0.1, momentum=0.9, weight_decay=1e-3, bias_lr_scale=64)
    biases, others = optimizer.param_groups
    assert biases["lr"] == pytest.approx(6.4) and others["lr"] == pytest.approx(0.1)
    assert biases["lr"] * biases["weight_decay"] == pytest.approx(others["lr"] * 1e-3)
    assert optimizer.defaults["nesterov"]
    norm = net.groups[0].norm1
    assert not norm.weight.requires_grad and norm.bias.requires_grad
    assert not net.whiten.weight.requires_grad


def test_precision_follows_the_hardware():
    cpu = torch.device("cpu")
    assert autocast_dtype(cpu, "float32") is None
    assert autocast_dtype(cpu, "bfloat16") is torch.bfloat16
    assert (autocast_dtype(cpu, "auto") is torch.bfloat16) == cpu_has_fast_bfloat16()
    with pytest.raises(ParameterError, match="precision"):
        autocast_dtype(cpu, "float8")


def test_bfloat16_and_contiguous_layout_train_too(tiny):
    recipe = make_recipe("cpu", **{**TINY, "epochs": 0.5}, precision="bfloat16",
                         channels_last=False)  # fmt: skip
    result = run(recipe, *tiny, verbose=False)
    assert all(torch.isfinite(torch.tensor(result.log.losses)))


@pytest.mark.parametrize(
    ("setting", "value"),
    [("widths", (8, 16)), ("widths", "8,x,8"), ("epochs", 0), ("batch_size", 0), ("lr", -1),
     ("momentum", 1.0), ("tta", 3), ("translate", -1), ("precision", "half"),
     ("lookahead", "maybe"), ("low_res_size", 8), ("low_res_fraction", 2)],
)  # fmt: skip
def test_bad_settings_are_refused_by_name(setting, value):
    with pytest.raises(ParameterError, match=setting):
        make_recipe("cpu", **{setting: value})


def test_settings_given_as_text_are_read():
    recipe = make_recipe("cpu", widths="8,16,32", epochs="2.5", lookahead="false", tta="1")
    assert recipe.widths == (8, 16, 32) and recipe.epochs == 2.5
    assert recipe.lookahead is False and recipe.tta == 1


def test_the_cpu_benchmark_runs_on_the_sample(tmp_path, capsys):
    out = tmp_path / "results.jsonl"
    settings = ["widths=8,16,16", "epochs=1", "batch_size=250", "lr=0.3", "tta=1"]
    argv = ["--dataset", "sample", "--seeds", "0", "1", "--quiet", "--json", str(out)]
    assert modern_recipe.main([*argv, "--set", *settings, "--target", "15"]) == 0
    summary = json.loads(out.read_text())
    assert [row["seed"] for row in summary["runs"]] == [0, 1]
    assert summary["mean_accuracy"] > 15
    assert "target met" in capsys.readouterr().out
    assert modern_recipe.main([*argv, "--set", *settings, "--target", "99"]) == 1


@pytest.fixture(scope="module")
def tiny_archive(tmp_path_factory, tiny):
    """The tiny subset as a class-folder .tar.gz, like the shared CIFAR-10 copy."""
    folder = tmp_path_factory.mktemp("archive")
    for split, data in zip(("train", "test"), tiny, strict=True):
        for index, (image, label) in enumerate(zip(data.images, data.labels, strict=True)):
            save_image(image, folder / "cifar10" / split / CLASSES[label] / f"{index:04d}.png")
    archive = folder / "cifar10-tiny.tar.gz"
    with tarfile.open(archive, "w:gz") as tar:
        tar.add(folder / "cifar10", arcname="cifar10")
    return archive


def test_the_gpu_script_dry_runs_on_the_cpu(tiny_archive, tmp_path, capsys):
    out = tmp_path / "gpu.json"
    argv = ["--archive", str(tiny_archive), "--dataset", "cifar10-subset", "--device", "cpu",
            "--runs", "2", "--json", str(out),
            "--warmup-epochs", "0.5", "--target", "0", "--seconds", "600",
            "--set", "widths=8,16,16", "epochs=1", "batch_size=100", "tta=2"]  # fmt: skip
    assert gpu_modern.main(argv) == 0
    printed = capsys.readouterr().out
    assert "not timed: extracting and decoding" in printed and "not timed: warm-up" in printed
    summary = json.loads(out.read_text())
    assert len(summary["runs"]) == 2 and summary["recipe"]["widths"] == [8, 16, 16]
    assert all(0 < row["seconds"] < 600 for row in summary["runs"])
