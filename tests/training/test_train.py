"""A real training run on 64 real X-rays at 64 px: files, falling loss, reloadable checkpoint."""
from __future__ import annotations

import csv
import json

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from cxr.data.cache import cached_images  # noqa: E402
from cxr.data.splits import read_split  # noqa: E402
from cxr.training.loop import TrainConfig, load_checkpoint, predict_logits, train  # noqa: E402
from cxr.training.schedule import EarlyStopping  # noqa: E402

pytestmark = [pytest.mark.train, pytest.mark.slow]

CHECKPOINT_KEYS = {"arch", "timm_name", "classes", "task", "img_size", "contrast", "state_dict",
                   "epoch", "val_metrics", "args", "split", "data", "created", "code_version"}


def _history(run_dir):
    with open(run_dir / "history.csv", newline="") as f:
        return [{k: float(v) for k, v in row.items()} for row in csv.DictReader(f)]


def test_run_folder_holds_what_the_contract_promises(trained_run):
    for name in ("best.pt", "history.csv", "curves.png", "config.json", "done.json"):
        assert (trained_run / name).exists(), name
    config = json.loads((trained_run / "config.json").read_text())
    assert (config["arch"], config["img_size"], config["pretrained"]) == ("EfficientNet-Lite0", 64, "none")
    done = json.loads((trained_run / "done.json").read_text())
    assert done["epochs_run"] == 3
    ckpt = torch.load(trained_run / "best.pt", map_location="cpu", weights_only=False)
    assert CHECKPOINT_KEYS <= set(ckpt)
    assert ckpt["classes"] == ["covid", "pneumonia", "normal"] and ckpt["task"] == "3class"
    assert ckpt["data"]["train"]["n"] + ckpt["data"]["val"]["n"] + ckpt["data"]["test"]["n"] == 64


def test_training_loss_falls(trained_run):
    history = _history(trained_run)
    assert [row["epoch"] for row in history] == [1, 2, 3]
    assert history[-1]["train_loss"] < history[0]["train_loss"]
    assert all(row["lr"] == pytest.approx(1e-3) for row in history)  # still in the constant phase


def test_checkpoint_is_the_best_epoch_and_reloads_with_identical_outputs(trained_run, tiny_split_csv,
                                                                       toolkit_cache_dir):
    history = _history(trained_run)
    model, ckpt = load_checkpoint(trained_run / "best.pt")
    best = min(history, key=lambda row: row["val_loss"])
    assert ckpt["epoch"] == int(best["epoch"])

    split = read_split(tiny_split_csv)
    val = split[split["subset"] == "val"]
    # A writable copy: torch warns about tensors made from the read-only memory map.
    images = np.array(cached_images(list(val["path"]), ckpt["img_size"], ckpt["contrast"],
                                    toolkit_cache_dir, progress=False))
    logits = predict_logits(model, images, ckpt["img_size"], batch_size=4, device="cpu")
    target = torch.tensor(val["y"].to_numpy())
    loss = float(torch.nn.functional.cross_entropy(torch.from_numpy(logits), target))
    # The reloaded model scores the validation set exactly as the model did when it was saved.
    assert loss == pytest.approx(ckpt["val_metrics"]["loss"], abs=1e-4)
    assert loss == pytest.approx(best["val_loss"], abs=1e-4)
    again, _ = load_checkpoint(trained_run / "best.pt")
    assert np.array_equal(logits, predict_logits(again, images, ckpt["img_size"], 4, "cpu"))


def test_early_stopping_ends_the_run(tiny_split_csv, toolkit_cache_dir, tmp_path):
    config = TrainConfig(
        split_csv=str(tiny_split_csv), arch="EfficientNet-Lite0", pretrained="none", lr=3e-2,
        batch_size=16, epochs=12, patience=1, img_size=64, augment="none",
        out_dir=str(tmp_path / "run"), device="cpu", workers=1, max_train_batches=1,
        cache_dir=str(toolkit_cache_dir),
    )
    history = _history(train(config, log=lambda _: None))
    # Replaying the recorded validation losses must stop at the same epoch the run stopped at.
    stopper, expected = EarlyStopping(patience=1), None
    for row in history:
        stopper.update(int(row["epoch"]) - 1, row["val_loss"])
        if stopper.should_stop:
            expected = int(row["epoch"])
            break
    assert expected is not None and len(history) == expected < 12


def test_mixup_blends_each_image_with_its_partner_and_keeps_both_targets():
    from cxr.training.loop import _mixed_batch

    # Image i is filled with the value i and has target i, so every blend can be read back.
    target = torch.arange(8)
    x = target.float()[:, None, None, None].expand(8, 3, 4, 4).clone()
    mixed, partner_target, weight = _mixed_batch(x, target, alpha=0.4, rng=np.random.default_rng(3))
    assert 0 < weight < 1 and sorted(partner_target.tolist()) == list(range(8))
    assert partner_target.tolist() != list(range(8))  # really shuffled (fixed seed)
    expected = weight * target.float() + (1 - weight) * partner_target.float()
    assert torch.allclose(mixed.mean(dim=(1, 2, 3)), expected)
    assert torch.allclose(mixed.std(dim=(1, 2, 3)), torch.zeros(8), atol=1e-6)  # blends, no noise


def test_training_with_mixup_and_label_smoothing(tiny_split_csv, toolkit_cache_dir, tmp_path):
    config = TrainConfig(
        split_csv=str(tiny_split_csv), arch="EfficientNet-Lite0", pretrained="none", lr=1e-3,
        batch_size=16, epochs=2, img_size=64, augment="none", mixup=0.4, label_smoothing=0.1,
        out_dir=str(tmp_path / "run"), device="cpu", workers=1, max_train_batches=2,
        cache_dir=str(toolkit_cache_dir),
    )
    run = train(config, log=lambda _: None)
    args = torch.load(run / "best.pt", map_location="cpu", weights_only=False)["args"]
    assert (args["mixup"], args["label_smoothing"]) == (0.4, 0.1)
    assert all(np.isfinite(row["train_loss"]) for row in _history(run))
    with pytest.raises(ValueError, match="--mixup and --adversary-weight cannot be combined"):
        train(TrainConfig(**{**config.__dict__, "adversary_weight": 1.0, "out_dir": str(tmp_path / "x")}))


def test_training_with_the_consistency_loss(tiny_split_csv, toolkit_cache_dir, tmp_path):
    config = TrainConfig(
        split_csv=str(tiny_split_csv), arch="EfficientNet-Lite0", pretrained="none", lr=1e-3,
        batch_size=8, epochs=1, img_size=64, augment="paper+codec-last", consistency=12.0,
        out_dir=str(tmp_path / "run"), device="cpu", workers=1, max_train_batches=2,
        cache_dir=str(toolkit_cache_dir),
    )
    run = train(config, log=lambda _: None)
    assert torch.load(run / "best.pt", map_location="cpu", weights_only=False)["args"]["consistency"] == 12.0
    assert all(np.isfinite(row["train_loss"]) for row in _history(run))
    for other in ({"augment": "paper"}, {"mixup": 0.4}):
        with pytest.raises(ValueError, match="--consistency compares an image with its JPEG copy"):
            train(TrainConfig(**{**config.__dict__, **other, "out_dir": str(tmp_path / "x")}))


def test_the_consistency_step_trains_both_views_and_adds_their_divergence():
    from cxr.training.augment import codec_views, jensen_shannon
    from cxr.training.loop import _step_with_consistency, normalise

    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(3 * 16 * 16, 3))
    batch = torch.randint(0, 256, (4, 16, 16), dtype=torch.uint8)
    target = torch.tensor([0, 1, 2, 1])

    def cross_entropy(logits, y):
        return torch.nn.functional.cross_entropy(logits.float(), y)
    logits, loss, total = _step_with_consistency(
        model, batch, target, torch.Generator().manual_seed(0), np.random.default_rng(0), 5.0, cross_entropy)
    lossless, coded = codec_views(batch, torch.Generator().manual_seed(0), np.random.default_rng(0))
    with torch.no_grad():
        a, b = model(normalise(lossless)), model(normalise(coded))
        assert torch.allclose(logits, a, atol=1e-5)
        both = (cross_entropy(a, target) + cross_entropy(b, target)) / 2
        assert loss.item() == pytest.approx(both.item(), abs=1e-5)
        assert total.item() == pytest.approx((both + 5.0 * jensen_shannon(a, b)).item(), abs=1e-5)
    assert total.item() > loss.item()


def test_images_resident_on_the_device_train_exactly_as_streamed_ones(tiny_split_csv, toolkit_cache_dir, tmp_path):
    """The resident path (the GPU's: one upload per epoch, running loss kept on the device) sees the
    same batches, augmentations and losses as the streamed one."""
    histories = {}
    for resident in ("yes", "no"):
        config = TrainConfig(split_csv=str(tiny_split_csv), arch="EfficientNet-Lite0", pretrained="none",
                             lr=1e-3, batch_size=8, epochs=2, img_size=32, augment="paper", device="cpu",
                             workers=1, max_train_batches=3, resident=resident, out_dir=str(tmp_path / resident),
                             cache_dir=str(toolkit_cache_dir))
        run = train(config, log=lambda _: None)
        with open(run / "history.csv") as f:
            histories[resident] = [{k: row[k] for k in ("train_loss", "train_acc", "val_loss")} for row in csv.DictReader(f)]
        assert json.loads((run / "done.json").read_text())["resident"] is (resident == "yes")
    assert histories["yes"] == histories["no"] and len(histories["yes"]) == 2
