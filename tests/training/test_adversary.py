"""The class-conditional source adversary: masking, and that it makes the network drop a cue."""
from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from cxr.training.adversary import SourceAdversary, ramp, source_codes  # noqa: E402

pytestmark = pytest.mark.train


def test_ramp_starts_at_zero_and_approaches_one():
    assert ramp(0.0) == 0.0
    assert 0.4 < ramp(0.1) < 0.5 < ramp(0.2)
    assert ramp(1.0) > 0.99 and ramp(2.0) == ramp(1.0)


def test_each_class_only_chooses_among_its_own_collections():
    labels = np.array([0, 0, 1, 1, 2])
    sources = np.array(["raddb", "cohen", "raddb", "nih", "kermany"])
    codes, allowed, names = source_codes(labels, sources, 3)
    assert names == ["cohen", "kermany", "nih", "raddb"]
    assert allowed.tolist() == [[True, False, False, True], [False, False, True, True],
                                [False, True, False, False]]
    adversary = SourceAdversary(8, allowed)
    logits = adversary.logits(torch.randn(5, 8), torch.from_numpy(labels))
    assert torch.isinf(logits[0, 1]) and torch.isfinite(logits[0, [0, 3]]).all()
    # Class 2 has one collection: nothing to tell apart, so its image takes no part.
    pooled = torch.randn(1, 8, requires_grad=True)
    loss, accuracy = adversary.loss(pooled, torch.tensor([2]), torch.tensor([1]), 1.0)
    assert float(loss.detach()) == 0.0 and np.isnan(accuracy)


def _train_encoder(adversary_weight: float, steps: int = 400) -> torch.Tensor:
    """A linear encoder over two inputs: one carries the class, the other the collection (not the
    class). Returns the encoder's weight on the collection input relative to the class input."""
    generator = torch.Generator().manual_seed(0)
    torch.manual_seed(0)
    n = 512
    labels = torch.randint(0, 2, (n,), generator=generator)
    sources = torch.randint(0, 2, (n,), generator=generator)
    x = torch.stack([labels * 2.0 - 1.0, sources * 2.0 - 1.0], dim=1) + 0.3 * torch.randn(n, 2, generator=generator)
    encoder, head = torch.nn.Linear(2, 4), torch.nn.Linear(4, 2)
    allowed = np.ones((2, 2), dtype=bool)  # both classes come from both collections
    adversary = SourceAdversary(4, allowed)
    optimizer = torch.optim.Adam([*encoder.parameters(), *head.parameters(), *adversary.parameters()], lr=0.02)
    for _ in range(steps):
        features = encoder(x)
        loss = torch.nn.functional.cross_entropy(head(features), labels)
        loss = loss + adversary.loss(features, labels, sources, adversary_weight)[0]
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    weight = encoder.weight.detach().abs().sum(dim=0)
    return weight[1] / weight[0]


def test_the_reversed_gradient_makes_the_encoder_drop_the_collection_cue():
    # Without the network's side of the game (weight 0) the collection input keeps its random
    # initial weight; with it, the encoder stops passing the collection on.
    assert _train_encoder(1.0) < 0.2 * _train_encoder(0.0)


def test_training_with_the_adversary_writes_a_plain_classifier(tiny_split_csv, toolkit_cache_dir, tmp_path, capsys):
    from cxr.cli import main as cli_main
    from cxr.training.loop import load_checkpoint

    out = tmp_path / "adversary"
    code = cli_main(["train", "--split-csv", str(tiny_split_csv), "--arch", "EfficientNet-Lite0",
                     "--pretrained", "none", "--img-size", "64", "--epochs", "2", "--batch-size", "16",
                     "--augment", "none", "--device", "cpu", "--workers", "1", "--adversary-weight", "1",
                     "--cache-dir", str(toolkit_cache_dir), "--out", str(out)])
    assert code == 0
    printed = capsys.readouterr().out
    assert "source adversary, weight 1.0: collections" in printed and "source acc" in printed
    model, ckpt = load_checkpoint(out / "best.pt")  # the classifier alone: export is unchanged
    assert not any(key.startswith("adversary") for key in ckpt["state_dict"])
    assert ckpt["args"]["adversary_weight"] == 1.0
