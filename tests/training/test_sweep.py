"""The sweep: stable run names, the 44-run grid, resuming, failures, and a real tiny sweep."""
from __future__ import annotations

import json

import pytest

pytest.importorskip("torch")  # the grid validates names against cxr.training.models

from cxr.cli import main as cli_main  # noqa: E402
from cxr.training.sweep import grid, run_name, run_sweep  # noqa: E402


def test_run_names_are_stable():
    assert run_name("ResNet50", 1e-4, 16) == "resnet50_lr1e-04_bs16"
    assert run_name("InceptionResNetV2", 1e-6, 32) == "inceptionresnetv2_lr1e-06_bs32"
    assert run_name("EfficientNet-Lite0", 3e-4, 8) == "efficientnet-lite0_lr3e-04_bs8"


def test_paper_grid_has_44_distinct_runs():
    from cxr.training.registry import PAPER_ARCHITECTURES

    points = grid(PAPER_ARCHITECTURES, [1e-4, 1e-6], [16, 32])
    assert len(points) == 44 == len({p.name for p in points})
    assert {p.arch for p in points} == set(PAPER_ARCHITECTURES)
    assert grid(["resnet50"], [1e-4], [16])[0].arch == "ResNet50"  # names are canonicalised
    with pytest.raises(ValueError, match="unknown architecture"):
        grid(["AlexNet"], [1e-4], [16])


class FakeTraining:
    """Stands in for `cxr.training.loop.train`: writes what a run folder holds, remembers calls."""

    def __init__(self, fail_arch: str | None = None):
        self.trained: list[str] = []
        self.evaluated: list[str] = []
        self.fail_arch = fail_arch

    def train(self, split_csv, point, epochs, out_dir, options):
        if point.arch == self.fail_arch:
            raise RuntimeError("CUDA out of memory")
        self.trained.append(out_dir.name)
        out_dir.mkdir(parents=True, exist_ok=True)
        (out_dir / "config.json").write_text(json.dumps({"lr": point.lr, **options}))
        (out_dir / "history.csv").write_text("epoch,val_acc\n1,0.5\n")
        (out_dir / "done.json").write_text("{}")
        return out_dir

    def evaluate(self, run_dir, split_csv, options):
        self.evaluated.append(run_dir.name)
        (run_dir / "metrics.json").write_text(json.dumps({"subsets": {}}))
        return {}


def _run(fake, out, split_csv, archs=("ResNet50", "VGG16"), **kw):
    return run_sweep(split_csv, out, archs=archs, lrs=[1e-4, 1e-6], batch_sizes=[16],
                     epochs=3, train_options={"pretrained": "none"}, train_fn=fake.train,
                     evaluate_fn=fake.evaluate, log=lambda _: None, **kw)


def test_sweep_resumes_where_it_stopped(tmp_path):
    split_csv, out = tmp_path / "split.csv", tmp_path / "sweep"
    split_csv.write_text("path,label,y,subset\n")
    first = FakeTraining()
    statuses = _run(first, out, split_csv)
    names = ["resnet50_lr1e-04_bs16", "resnet50_lr1e-06_bs16", "vgg16_lr1e-04_bs16",
             "vgg16_lr1e-06_bs16"]
    assert statuses == dict.fromkeys(names, "trained")
    assert first.trained == first.evaluated == names
    assert (out / "tables.md").exists() and json.loads((out / "sweep.json").read_text())["epochs"] == 3

    again = FakeTraining()
    assert set(_run(again, out, split_csv).values()) == {"skipped"}
    assert again.trained == again.evaluated == []

    # Finished but never evaluated (e.g. interrupted during evaluation): evaluate only.
    (out / names[2] / "metrics.json").unlink()
    third = FakeTraining()
    assert _run(third, out, split_csv)[names[2]] == "evaluated"
    assert third.trained == [] and third.evaluated == [names[2]]

    # A wider grid in the same folder trains only the new runs; the tables show all.
    fourth = FakeTraining()
    _run(fourth, out, split_csv, archs=("ResNet50", "VGG16", "DenseNet121"))
    assert fourth.trained == ["densenet121_lr1e-04_bs16", "densenet121_lr1e-06_bs16"]
    assert "| DenseNet121 |" in (out / "tables.md").read_text()


def test_failed_run_is_recorded_and_retried(tmp_path):
    split_csv, out = tmp_path / "split.csv", tmp_path / "sweep"
    split_csv.write_text("path,label,y,subset\n")
    statuses = _run(FakeTraining(fail_arch="VGG16"), out, split_csv)
    assert statuses["vgg16_lr1e-04_bs16"] == "failed"
    assert statuses["resnet50_lr1e-06_bs16"] == "trained"
    assert "CUDA out of memory" in (out / "vgg16_lr1e-04_bs16" / "error.txt").read_text()
    assert "| VGG16 | failed |" in (out / "tables.md").read_text()

    retry = FakeTraining()
    statuses = _run(retry, out, split_csv)
    assert retry.trained == ["vgg16_lr1e-04_bs16", "vgg16_lr1e-06_bs16"]
    assert not (out / "vgg16_lr1e-04_bs16" / "error.txt").exists()


def test_a_sweep_folder_refuses_another_split(tmp_path):
    split_csv, out = tmp_path / "split.csv", tmp_path / "sweep"
    split_csv.write_text("path,label,y,subset\n")
    _run(FakeTraining(), out, split_csv)
    other = tmp_path / "other.csv"
    other.write_text("path,label,y,subset\n")
    with pytest.raises(ValueError, match="split_csv"):
        _run(FakeTraining(), out, other)


@pytest.mark.train
@pytest.mark.slow
def test_real_tiny_sweep_trains_evaluates_and_resumes(tiny_split_csv, toolkit_cache_dir,
                                                      tmp_path, capsys):
    out = tmp_path / "sweep-tiny"
    argv = ["sweep", "--split-csv", str(tiny_split_csv), "--archs", "EfficientNet-Lite0,MobileNetV2",
            "--lrs", "1e-3", "--batch-sizes", "8", "--epochs", "1", "--pretrained", "none",
            "--img-size", "64", "--augment", "paper+robust", "--max-train-batches", "1",
            "--n-boot", "50", "--device", "cpu", "--workers", "1",
            "--cache-dir", str(toolkit_cache_dir), "--out", str(out)]
    assert cli_main(argv) == 0
    runs = ["efficientnet-lite0_lr1e-03_bs8", "mobilenetv2_lr1e-03_bs8"]
    for name in runs:
        run_dir = out / name
        for file in ("best.pt", "history.csv", "done.json", "metrics.json", "metrics.md",
                     "roc_test.png", "curves.png"):
            assert (run_dir / file).exists(), f"{name}/{file} missing"
        config = json.loads((run_dir / "config.json").read_text())
        assert (config["img_size"], config["augment"], config["max_train_batches"]) == (
            64, "paper+robust", 1)
        assert set(json.loads((run_dir / "metrics.json").read_text())["subsets"]) == {"val", "test"}
    tables = (out / "tables.md").read_text()
    assert "2 of 2 runs finished" in tables
    assert "| EfficientNet-Lite0 | 1 |" in tables and "| MobileNetV2 | 1 |" in tables

    mtimes = {name: (out / name / "best.pt").stat().st_mtime_ns for name in runs}
    capsys.readouterr()
    assert cli_main(argv) == 0  # resumed: nothing left to do
    assert capsys.readouterr().out.count("done, skipped") == 2
    assert {name: (out / name / "best.pt").stat().st_mtime_ns for name in runs} == mtimes


def test_sweep_command_rejects_unknown_architectures_and_folders(tmp_path, capsys):
    split_csv = tmp_path / "split.csv"
    split_csv.write_text("path,label,y,subset\n")
    assert cli_main(["sweep", "--split-csv", str(split_csv), "--archs", "AlexNet",
                     "--out", str(tmp_path / "s")]) == 2
    assert "unknown architecture 'AlexNet'" in capsys.readouterr().err
    assert cli_main(["sweep", "--split-csv", str(split_csv), "--tables-only",
                     "--out", str(tmp_path / "none")]) == 2
    assert "not a sweep folder" in capsys.readouterr().err


@pytest.mark.train
@pytest.mark.slow
def test_concurrent_sweep_trains_runs_in_parallel_processes_with_resident_data(
        tiny_split_csv, toolkit_cache_dir, tmp_path, capsys):
    """The GPU path on the CPU: two trainings at once, each in its own process, the training
    images resident on the device as one uint8 tensor, throughput recorded; then resumable."""
    out = tmp_path / "sweep-concurrent"
    argv = ["sweep", "--split-csv", str(tiny_split_csv), "--archs", "MobileNetV2",
            "--lrs", "1e-3,1e-4", "--batch-sizes", "8", "--epochs", "1", "--pretrained", "none",
            "--img-size", "32", "--max-train-batches", "1", "--n-boot", "20", "--device", "cpu",
            "--workers", "1", "--concurrent", "2", "--resident", "yes",
            "--cache-dir", str(toolkit_cache_dir), "--out", str(out)]
    assert cli_main(argv) == 0
    output = capsys.readouterr().out
    assert "throughput:" in output and "with 2 at once" in output
    runs = ["mobilenetv2_lr1e-03_bs8", "mobilenetv2_lr1e-04_bs8"]
    for name in runs:
        done = json.loads((out / name / "done.json").read_text())
        assert done["resident"] is True and done["weights"] == "none (trained from scratch)"
        assert done["train_images"] == 8 and done["train_images_per_second"] > 0
        assert "epoch   1" in (out / name / "train.log").read_text()  # the run's own log
        assert (out / name / "metrics.json").exists()
        config = json.loads((out / name / "config.json").read_text())
        assert not config["out_dir"].startswith("/") or str(tmp_path) in config["out_dir"]
    [report] = json.loads((out / "throughput.json").read_text())
    assert report["concurrent"] == 2 and report["runs"] == 2 and report["train_images"] == 16
    assert report["images_per_second"] > 0
    tables = (out / "tables.md").read_text()
    assert "2 of 2 runs finished" in tables and "| none (trained from scratch) |" in tables

    assert cli_main(argv) == 0  # resumed: nothing left to train, no new throughput record
    assert capsys.readouterr().out.count("done, skipped") == 2
    assert len(json.loads((out / "throughput.json").read_text())) == 1


def test_plan_only_lists_architectures_with_their_weights_without_training(tmp_path):
    split_csv, out = tmp_path / "split.csv", tmp_path / "sweep"
    split_csv.write_text("path,label,y,subset\n")
    fake = FakeTraining()
    statuses = run_sweep(split_csv, out, archs=["Xception", "ResNet50"], lrs=[1e-4],
                         batch_sizes=[16], epochs=1, train_options={"pretrained": "imagenet"},
                         train_fn=fake.train, evaluate_fn=fake.evaluate, log=lambda _: None,
                         plan_only=True)
    assert statuses == {} and fake.trained == []
    plan = json.loads((out / "sweep.json").read_text())
    assert plan["weights"]["Xception"].startswith("ImageNet (Keras)")
    assert plan["weights"]["ResNet50"].startswith("no offline ImageNet weights")
    assert plan["split_csv"] == str(split_csv.resolve())  # outside the project: stays absolute
    assert "| ResNet50 | — |" in (out / "tables.md").read_text()


def test_sweep_records_paths_relative_to_the_project(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "splits").mkdir()
    split_csv = tmp_path / "splits" / "s.csv"
    split_csv.write_text("path,label,y,subset\n")
    _run(FakeTraining(), tmp_path / "sweep", split_csv)
    assert json.loads((tmp_path / "sweep" / "sweep.json").read_text())["split_csv"] == "splits/s.csv"


def test_tables_of_a_finished_sweep_need_only_its_folder(tmp_path, capsys):
    """Rewriting a committed sweep's tables asked for --split-csv, a file it never reads (and
    that another machine's sweep folder may not have beside it)."""
    split_csv, out = tmp_path / "split.csv", tmp_path / "sweep"
    split_csv.write_text("path,label,y,subset\n")
    fake = FakeTraining()
    run_sweep(split_csv, out, archs=["Xception"], lrs=[1e-4], batch_sizes=[16], epochs=1,
              train_options={"pretrained": "imagenet"}, train_fn=fake.train,
              evaluate_fn=fake.evaluate, log=lambda _: None, plan_only=True)
    split_csv.unlink()
    (out / "tables.md").unlink()
    assert cli_main(["sweep", "--tables-only", "--out", str(out)]) == 0
    assert "| Xception | — |" in (out / "tables.md").read_text()

    capsys.readouterr()
    assert cli_main(["sweep", "--tables-only"]) == 2
    assert "--split-csv is required (or --tables-only with --out SWEEP_FOLDER)" in capsys.readouterr().err
