"""Training a user can watch: micrograd's demo set-up reaches 100% and the plot is written."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

from autograd_tiny import data
from autograd_tiny.nn import MLP
from autograd_tiny.train import loss_and_accuracy, predict, train


def _cli(*args: str, cwd=None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "autograd_tiny", *args], capture_output=True, text=True, timeout=600, cwd=cwd
    )


def test_micrograd_demo_setup_reaches_full_training_accuracy():
    X, y = data.make_moons(100, 0.1, seed=0)
    model = MLP(2, [16, 16, 1], seed=0)
    history = train(model, X, y, steps=100)
    assert history.loss[-1] < history.loss[0] / 10
    _, acc = loss_and_accuracy(model, X, y)
    assert acc == 1.0
    # the accuracy is what the predictions say, computed independently here
    assert np.array_equal(predict(model, X) > 0, y == 1)


def test_train_command_prints_progress_and_writes_the_plot(tmp_path):
    png = tmp_path / "moons.png"
    out = _cli("train", "--dataset", "moons", "--steps", "100", "--plot", str(png))
    assert out.returncode == 0, out.stderr
    assert "step  100/100" in out.stdout and "loss" in out.stdout
    assert "training accuracy 100%" in out.stdout
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and png.stat().st_size > 10_000


@pytest.mark.parametrize(
    "args, message",
    [
        (["--steps", "0"], "--steps must be a positive integer"),
        (["--samples", "2"], "--samples must be at least 4"),
        (["--plot", "/nonexistent-dir/x.png", "--steps", "1"], "cannot write the plot"),
    ],
)
def test_train_command_errors_are_one_line(args, message):
    out = _cli("train", *args)
    assert out.returncode == 2
    assert message in out.stderr and "Traceback" not in out.stderr


def test_train_rejects_bad_input():
    model = MLP(2, [1], seed=0)
    with pytest.raises(ValueError, match="steps must be a positive integer"):
        train(model, np.zeros((4, 2)), np.zeros(4), steps=0)
    with pytest.raises(ValueError, match="X must be"):
        train(model, np.zeros((4, 3)), np.zeros(4))
    with pytest.raises(ValueError, match="labels must be 0 or 1"):
        train(model, np.zeros((4, 2)), np.array([0, 1, 2, 1]), steps=1)


def test_demo_ends_with_a_training_run(tmp_path):
    out = _cli("demo", cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    assert "training accuracy 100%" in out.stdout


@pytest.mark.parametrize("name", ["lr_start", "lr_end", "alpha"])
@pytest.mark.parametrize("bad", [float("nan"), float("inf"), -1.0, "1"])
def test_train_refuses_bad_rates(name, bad):
    from autograd_tiny.data import make_moons
    from autograd_tiny.nn import MLP
    from autograd_tiny.train import train

    X, y = make_moons(8, 0.1, seed=0)
    with pytest.raises(ValueError, match=f"train: {name} must be a finite number"):
        train(MLP(2, [2, 1], seed=0), X, y, steps=1, **{name: bad})


def test_a_diverging_step_is_refused_and_leaves_the_parameters_as_they_were():
    from autograd_tiny import Value
    from autograd_tiny.train import descend

    w = Value(1e308, "w")
    w.grad = -1e300
    with pytest.raises(ValueError, match="the update of w is inf"):
        descend([w], 1e10)
    assert w.data == 1e308
