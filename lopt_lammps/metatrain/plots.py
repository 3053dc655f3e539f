"""The training-curve figure."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402


def plot_training(history: list[dict], path: Path, trainer: str, held_out: tuple[str, ...] = ()) -> None:
    """Top: meta-loss of the sampled training tasks (and its running mean). Bottom: the
    held-out meta-loss on fixed tasks (compositions ``held_out``) with its 95 % interval, on
    its own scale (it moves far less than the training loss varies from task to task)."""
    its = [h["iteration"] + 1 for h in history]
    loss = [h["loss"] for h in history]
    held = [(h["iteration"] + 1, h["held_out"], h.get("held_out_interval", 0.0)) for h in history if "held_out" in h]
    fig, axes = plt.subplots(2 if held else 1, 1, figsize=(7, 6 if held else 3.5), sharex=True, squeeze=False)
    ax = axes[0, 0]
    ax.plot(its, loss, color="0.75", lw=0.7, label=f"sampled training tasks ({trainer})")
    window = max(3, len(loss) // 20)
    if window < len(loss):
        smooth = [sum(loss[max(0, i - window + 1) : i + 1]) / min(i + 1, window) for i in range(len(loss))]
        ax.plot(its, smooth, color="C0", lw=1.8, label=f"running mean over {window} iterations")
    ax.set_ylabel("meta-loss")
    ax.set_title("Meta-training of the learned optimizer (lower is better)")
    ax.legend(fontsize=8)
    ax.grid(alpha=0.3)
    if held:
        ax = axes[1, 0]
        x, y, interval = zip(*held)
        names = ", ".join(held_out) if held_out else "fixed tasks"
        ax.errorbar(x, y, yerr=interval, fmt="o-", color="C3", capsize=3, label=f"held out, never trained on: {names} (95 %)")
        ax.set_ylabel("held-out meta-loss")
        ax.legend(fontsize=8)
        ax.grid(alpha=0.3)
    axes[-1, 0].set_xlabel("outer iteration")
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
