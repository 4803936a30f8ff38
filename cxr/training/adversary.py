"""A class-conditional source adversary for training (`cxr train --adversary-weight W`).

In ../shared the collection an image comes from predicts its class (COVID films from COVID-only
collections, paediatric pneumonia from one hospital), so a network can score well by recognising
the collection. Adversarial training against the collection (Ganin & Lempitsky, 2015; Tzeng et
al., 2015) adds a head that tries to tell the collection from the pooled features, while the
network is pushed towards features from which that head can only guess. Here the head is conditional on the true class (Li et
al., 2018): it only has to tell apart the collections *of the image's own class* (raddb from Cohen
among COVID films, NIH from the Kermany children among pneumonias). Forgetting the collection
outright would also forget the class, since the two are confounded; within a class, what tells
collections apart (resolution, JPEG artefacts, markers, age) is exactly the shortcut.

The adversary exists only during training: checkpoints hold the classifier alone, so export and
serving are unchanged.
"""
from __future__ import annotations

import math

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn


def ramp(progress: float) -> float:
    """The schedule of the network's side, 0 -> 1 over training: it starts weak, while the head is
    still guessing (Ganin & Lempitsky, 2015: 2 / (1 + exp(-10 p)) - 1)."""
    return 2.0 / (1.0 + math.exp(-10.0 * min(max(progress, 0.0), 1.0))) - 1.0


class SourceAdversary(nn.Module):
    """One linear head per class over the pooled features, predicting the collection among those
    of that class in the training data. Classes with a single collection take no part."""

    def __init__(self, num_features: int, allowed: np.ndarray):
        super().__init__()
        num_classes, num_sources = allowed.shape
        self.register_buffer("allowed", torch.as_tensor(allowed, dtype=torch.bool))
        self.head = nn.Linear(num_features, num_classes * num_sources)

    def logits(self, pooled: torch.Tensor, labels: torch.Tensor, frozen: bool = False) -> torch.Tensor:
        """(B, S) collection logits from the head of each image's class; others masked out.
        `frozen`: the head's weights take no gradient (the network's side of the game)."""
        num_classes, num_sources = self.allowed.shape
        weight, bias = self.head.weight, self.head.bias
        if frozen:
            weight, bias = weight.detach(), bias.detach()
        every = F.linear(pooled, weight, bias).view(-1, num_classes, num_sources)
        own = every[torch.arange(len(labels), device=labels.device), labels]
        return own.masked_fill(~self.allowed[labels], float("-inf"))

    def loss(self, pooled: torch.Tensor, labels: torch.Tensor, sources: torch.Tensor,
             weight: float) -> tuple[torch.Tensor, float]:
        """The two sides of the game, summed; and the head's accuracy (for the log).

        The head learns to name the collection from features it cannot change (detached). The
        network, through a frozen copy of the head, is pushed towards features from which the head
        can only guess: cross-entropy against the uniform choice among the class's collections,
        times `weight` (the domain-confusion loss of Tzeng et al., 2015). Plain gradient reversal
        was tried first: in a two-input test it made the network *amplify* the collection cue,
        fooling the current head by flipping the sign rather than dropping it."""
        taking_part = self.allowed.sum(dim=1)[labels] >= 2
        if not bool(taking_part.any()):
            return pooled.sum() * 0.0, float("nan")
        pooled, labels, target = pooled[taking_part], labels[taking_part], sources[taking_part]
        head_logits = self.logits(pooled.detach(), labels)
        head_loss = F.cross_entropy(head_logits.float(), target)
        log_probs = F.log_softmax(self.logits(pooled, labels, frozen=True).float(), dim=1)
        allowed = self.allowed[labels]
        confusion = -(log_probs.masked_fill(~allowed, 0.0).sum(dim=1) / allowed.sum(dim=1)).mean()
        accuracy = float((head_logits.argmax(1) == target).float().mean())
        return head_loss + weight * confusion, accuracy


def source_codes(labels: np.ndarray, sources: np.ndarray, num_classes: int) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """Integer collection codes of the rows and the (classes, collections) table of which
    collections each class has in these rows (the training subset)."""
    names = sorted(set(sources))
    codes = np.array([names.index(s) for s in sources], dtype=np.int64)
    allowed = np.zeros((num_classes, len(names)), dtype=bool)
    allowed[np.asarray(labels, dtype=np.int64), codes] = True
    return codes, allowed, names
