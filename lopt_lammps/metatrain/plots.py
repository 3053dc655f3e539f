"""The training-curve figure."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402


def plot_training(history: list[dict], path: Path, trainer: str) -> None:
    """Meta-loss per iteration (and its running mean) with the held-out loss."""
    its = [h["iteration"] + 1 for h in history]
    loss = [h["loss"] for h in history]
    fig, ax = plt.subplots(figsize=(7, 4))
    ax.plot(its, loss, color="0.7", lw=0.8, label=f"training meta-loss ({trainer}, sampled tasks)")
    window = max(1, len(loss) // 20)
    if len(loss) >= window:
        smooth = [sum(loss[max(0, i - window + 1) : i + 1]) / len(loss[max(0, i - window + 1) : i + 1]) for i in range(len(loss))]
        ax.plot(its, smooth, color="C0", lw=1.8, label=f"running mean ({window} iterations)")
    held = [(h["iteration"] + 1, h["held_out"]) for h in history if "held_out" in h]
    if held:
        ax.plot(*zip(*held), "o-", color="C3", label="held-out meta-loss (fixed tasks)")
    ax.set_xlabel("outer iteration")
    ax.set_ylabel("mean best-so-far energy / (N E0)")
    ax.set_title("Meta-training of the learned optimizer (lower is better)")
    ax.legend(fontsize=8)
    ax.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
