"""Update rules: FIRE against ASE and LAMMPS, Adam and GD, the learned network."""

import numpy as np
import pytest
import torch
from ase import Atoms
from ase.calculators.lj import LennardJones as AseLJ
from ase.cluster import Icosahedron
from ase.optimize import FIRE as AseFIRE
from reference import lennard_jones

from lopt_lammps.engine import BatchedEngine
from lopt_lammps.errors import CheckpointError, ConfigError
from lopt_lammps.fix import OptimizerFix
from lopt_lammps.optimizers import (
    Adam,
    Fire,
    GradientDescent,
    Lbfgs,
    LearnedOptimizer,
    LearnedOptimizerNet,
    NetworkConfig,
    cap_step,
    reset_replicas,
)
from lopt_lammps.optimizers.learned import log1p_nonnegative, network_device
from lopt_lammps.optimizers.learned_features import counter_normal
from lopt_lammps.optimizers.network import VECTORS
from lopt_lammps.optimizers.network_kernel import mlp
from lopt_lammps.structures import random_batch
from lopt_lammps.systems import System

LJ13 = System.parse("LJ13")


def icosahedron() -> np.ndarray:
    return Icosahedron("Ar", 2, latticeconstant=2 ** (1 / 6) * np.sqrt(2)).positions.copy()


def test_fire_follows_ase_fire_step_by_step():
    x0 = random_batch(LJ13, 1, seed=3)[0]
    atoms = Atoms("Ar13", positions=x0)
    atoms.calc = AseLJ(sigma=1.0, epsilon=1.0, rc=10.0, smooth=False)
    ase_path = []
    opt = AseFIRE(atoms, logfile=None)
    for _ in range(60):
        ase_path.append(atoms.positions.copy())
        opt.step()
    ours = []
    with BatchedEngine(LJ13, 1) as engine:
        engine.set_positions(x0[None])
        fix = OptimizerFix(Fire(), 1, 60, max_displacement=10.0)
        engine.run(60, lambda x, f, e: ours.append(x[0].copy()) or fix(x, f, e))
    np.testing.assert_allclose(np.array(ours), np.array(ase_path), atol=1e-8)


def test_fire_reaches_the_minimum_lammps_fire_reaches():
    rng = np.random.default_rng(0)
    x0 = icosahedron() + rng.normal(scale=0.05, size=(13, 3))
    with BatchedEngine(LJ13, 1) as engine:
        engine.set_positions(x0[None])
        _, e_lammps, _ = engine.minimize("fire", 1e-8, 5000)
        engine.set_positions(x0[None])
        fix = OptimizerFix(Fire(), 1, 3000, max_displacement=1.0)
        engine.run(3000, fix)
    assert fix.best_energy[0] == pytest.approx(e_lammps[0], abs=1e-7)
    assert e_lammps[0] == pytest.approx(-44.326801, abs=1e-6)


@pytest.mark.parametrize("rule", [Adam(), GradientDescent(learning_rate=0.002), Fire()], ids=lambda r: r.name)
def test_simple_rules_descend(rule):
    x0 = random_batch(LJ13, 3, seed=1)
    with BatchedEngine(LJ13, 3) as engine:
        e0, _ = engine.energy_forces(x0)
        fix = OptimizerFix(rule, 3, 1500, max_displacement=0.3)
        engine.run(1500, fix)
    assert np.all(fix.best_energy < e0 - 10)
    assert np.all(fix.best_energy < -35)


def test_cap_and_reset():
    dx = np.array([[[3.0, 4.0, 0.0], [0.1, 0.0, 0.0]]])
    capped = cap_step(dx, 1.0)
    assert np.linalg.norm(capped[0, 0]) == pytest.approx(1.0) and capped[0, 1, 0] == pytest.approx(0.1)
    rule = Adam()
    x = np.zeros((2, 3, 3))
    state = rule.init(x, x, np.zeros(2))
    state = {k: v + 1 for k, v in state.items()}
    fresh = reset_replicas(rule, state, np.array([False, True]), x, x, np.zeros(2))
    assert (fresh["m"][0] == 1).all() and (fresh["m"][1] == 0).all() and fresh["t"].tolist() == [1, 0]


def test_a_learned_restart_keeps_its_noise_counter():
    """A replica that restarts draws new noise: its step counter survives the reset."""
    rule = LearnedOptimizer(LearnedOptimizerNet(), LJ13.scales(), budget=100, seeds=[0, 0])
    x = random_batch(LJ13, 2, seed=0)
    state = rule.init(x, np.zeros_like(x), np.zeros(2))
    for _ in range(3):
        _, state = rule.step(state, x, np.zeros_like(x), np.zeros(2))
    state = reset_replicas(rule, state, np.array([False, True]), x, np.zeros_like(x), np.zeros(2))
    assert state["calls"].tolist() == [3, 3] and state["t"].tolist() == [3, 0]


def _learned_step(net, x, f, e, seeds=(0,)):
    rule = LearnedOptimizer(net, LJ13.scales(), budget=100, seeds=list(seeds))
    state = rule.init(x, f, e)
    for _ in range(3):
        new_x, state = rule.step(state, x, f, e)
    return new_x - x


@pytest.fixture
def lj_batch():
    x = random_batch(LJ13, 1, seed=2)
    with BatchedEngine(LJ13, 1) as engine:
        e, f = engine.energy_forces(x)
    return x, f, e


def _trained_like(variant: str) -> LearnedOptimizerNet:
    net = LearnedOptimizerNet(NetworkConfig(variant=variant), seed=1)
    with torch.no_grad():
        net.theta.add_(torch.randn(net.n_params, generator=torch.Generator().manual_seed(5), dtype=torch.float64) * 0.3)
    return net


@pytest.mark.parametrize("variant", ["equivariant", "per_coordinate"])
def test_learned_step_ignores_order_and_translation(lj_batch, variant):
    x, f, e = lj_batch
    net = _trained_like(variant)
    base = _learned_step(_zero_noise(net), x, f, e)
    perm = np.random.default_rng(0).permutation(13)
    permuted = _learned_step(_zero_noise(net), x[:, perm], f[:, perm], e)
    np.testing.assert_allclose(permuted, base[:, perm], rtol=1e-5, atol=1e-7)
    shifted = _learned_step(_zero_noise(net), x + np.array([1.0, -2.0, 0.5]), f, e)
    np.testing.assert_allclose(shifted, base, rtol=1e-5, atol=1e-7)


def _zero_noise(net: LearnedOptimizerNet) -> LearnedOptimizerNet:
    """A copy whose output ignores the noise vector (skip and MLP coefficient zeroed)."""
    copy = LearnedOptimizerNet(net.config)
    with torch.no_grad():
        copy.theta.copy_(net.theta)
        copy.theta[4] = 0.0
        _, layers = copy.layers(copy.theta[None])
        if net.config.variant == "equivariant":
            layers[-1][0][0, :, 4] = 0.0
            layers[-1][1][0, 4] = 0.0
        else:
            layers[0][0][0, net.config.n_invariants + 4, :] = 0.0
    return copy


def test_equivariant_step_rotates_with_the_structure(lj_batch):
    x, f, e = lj_batch
    net = _zero_noise(_trained_like("equivariant"))
    q, _ = np.linalg.qr(np.random.default_rng(1).normal(size=(3, 3)))
    base = _learned_step(net, x, f, e)
    rotated = _learned_step(net, x @ q.T, f @ q.T, e)
    np.testing.assert_allclose(rotated, base @ q.T, rtol=1e-5, atol=1e-7)
    per_coordinate = _zero_noise(_trained_like("per_coordinate"))
    base = _learned_step(per_coordinate, x, f, e)
    rotated = _learned_step(per_coordinate, x @ q.T, f @ q.T, e)
    assert np.abs(rotated - base @ q.T).max() > 1e-6  # not equivariant, as designed


def test_untrained_network_is_adam_like_and_seeds_fix_noise(lj_batch):
    x, f, e = lj_batch
    net = LearnedOptimizerNet()
    a = _learned_step(net, np.repeat(x, 2, 0), np.repeat(f, 2, 0), np.repeat(e, 2), seeds=(0, 1))
    b = _learned_step(net, np.repeat(x, 2, 0), np.repeat(f, 2, 0), np.repeat(e, 2), seeds=(0, 1))
    np.testing.assert_array_equal(a, b)
    # with zero noise weight, both replicas take the same deterministic momentum step
    np.testing.assert_allclose(a[0], a[1])
    assert (a * f).sum() > 0  # downhill


def test_per_replica_parameters(lj_batch):
    x, f, e = lj_batch
    net = _trained_like("equivariant")
    theta = torch.stack([net.theta.detach(), LearnedOptimizerNet().theta.detach()])
    rule = LearnedOptimizer(net, LJ13.scales(), 100, seeds=[0, 0], theta=theta)
    state = rule.init(np.repeat(x, 2, 0), np.repeat(f, 2, 0), np.repeat(e, 2))
    step, _ = rule.step(state, np.repeat(x, 2, 0), np.repeat(f, 2, 0), np.repeat(e, 2))
    assert np.abs(step[0] - step[1]).max() > 1e-6


def test_checkpoint_round_trip_and_refusals(tmp_path):
    net = _trained_like("per_coordinate")
    path = tmp_path / "opt.pt"
    net.save(path, metadata={"note": "test"})
    back = LearnedOptimizerNet.load(path)
    assert back.config == net.config and back.fingerprint() == net.fingerprint()
    assert back.metadata["note"] == "test"
    payload = torch.load(path, weights_only=True)
    payload["version"] = 99
    torch.save(payload, tmp_path / "future.pt")
    with pytest.raises(CheckpointError, match="version 99.*reads version 1"):
        LearnedOptimizerNet.load(tmp_path / "future.pt")
    (tmp_path / "corrupt.pt").write_bytes(path.read_bytes()[:100])
    with pytest.raises(CheckpointError, match="corrupt or truncated"):
        LearnedOptimizerNet.load(tmp_path / "corrupt.pt")
    torch.save({"something": 1}, tmp_path / "other.pt")
    with pytest.raises(CheckpointError, match="not a lopt-lammps"):
        LearnedOptimizerNet.load(tmp_path / "other.pt")
    with pytest.raises(CheckpointError, match="not found"):
        LearnedOptimizerNet.load(tmp_path / "missing.pt")


def test_the_shipped_optimizer_loads_with_its_provenance():
    from lopt_lammps.pretrained import pretrained_path

    net = LearnedOptimizerNet.load(pretrained_path())
    assert net.config.variant == "equivariant"
    for key in ("training_config", "commit", "training_data", "reproduce"):
        assert net.metadata[key]


def reference_batch(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Energies (B,) and forces (B, N, 3) of the numpy Lennard-Jones reference."""
    results = [lennard_jones.energy_forces(xb) for xb in x]
    return np.array([e for e, _ in results]), np.stack([f for _, f in results])


@pytest.mark.parametrize("rule, steps", [(Adam(), 1500), (GradientDescent(learning_rate=0.002, max_step=0.1), 1500),
                                         (Fire(), 1500), (Lbfgs(), 1500),
                                         (LearnedOptimizer(LearnedOptimizerNet(), LJ13.scales(), 300, [0, 1, 2]), 300)],
                         ids=["adam", "gd", "fire", "lbfgs", "learned"])
def test_rules_descend_on_the_numpy_reference_without_lammps(rule, steps):
    """A rule is a pure function of (state, x, f, e): it runs on any source of forces."""
    x = random_batch(LJ13, 3, seed=1)
    e, f = reference_batch(x)
    start, best = e.copy(), e.copy()
    state = rule.init(x, f, e)
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # as in searches: small tensors
    try:
        for _ in range(steps):
            x, state = rule.step(state, x, f, e)
            e, f = reference_batch(x)
            best = np.minimum(best, e)
    finally:
        torch.set_num_threads(threads)
    assert np.all(best < start - 10) and np.all(best < -35)


_STEP_DIGEST = """
import hashlib, numpy as np, torch
from lopt_lammps.optimizers import LearnedOptimizer, LearnedOptimizerNet
from lopt_lammps.systems import System
system = System.parse("LJ10")
net = LearnedOptimizerNet(seed=1)
with torch.no_grad():
    net.theta.add_(torch.randn(net.n_params, generator=torch.Generator().manual_seed(5), dtype=torch.float64) * 0.3)
rng = np.random.default_rng(0)
x, f, e = rng.normal(size=(3, 10, 3)) * 1.5, rng.normal(size=(3, 10, 3)), rng.normal(size=3)
rule = LearnedOptimizer(net, system.scales(), 100, seeds=[0, 1, 2])
state = rule.init(x, f, e)
for _ in range(3):
    x, state = rule.step(state, x, f, e)
print(hashlib.sha256(x.tobytes()).hexdigest())
"""


def test_a_learned_step_is_the_same_freshly_compiled_and_from_the_cache(tmp_path):
    """Compiled code must round alike when numba compiles it and when it loads it from its
    cache: training workers and search chunks load what another process compiled."""
    import os
    import subprocess
    import sys

    env = {**os.environ, "NUMBA_CACHE_DIR": str(tmp_path)}
    run = lambda: subprocess.run([sys.executable, "-c", _STEP_DIGEST], env=env, capture_output=True, text=True, check=True).stdout  # noqa: E731
    fresh = run()
    assert any(tmp_path.rglob("*.nbi")), "the first run should have filled numba's cache"
    assert run() == fresh


def _torch_mlp(net: LearnedOptimizerNet, rows: torch.Tensor) -> torch.Tensor:
    """The network's MLP written with torch's own operations, as a reference."""
    _, layers = net.layers(net.theta.detach()[None].to(torch.float64))
    for i, (w, b) in enumerate(layers):
        rows = rows @ w[0] + b[0]
        if i < len(layers) - 1:
            rows = torch.nn.functional.silu(rows)
    return rows


@pytest.mark.parametrize("variant", ["equivariant", "per_coordinate"])
def test_the_compiled_network_computes_the_mlp_and_ignores_its_batch(variant):
    net = _trained_like(variant)
    sizes = np.array(net.config.layer_sizes, dtype=np.int64)
    rows = (np.random.default_rng(3).normal(size=(150, sizes[0])) * 4).astype(np.float32)
    theta = net.theta.detach().to(torch.float32).numpy()[None].copy()
    out = np.empty((150, sizes[-1]), dtype=np.float32)
    mlp(rows, theta, len(VECTORS), sizes, out)
    expected = _torch_mlp(net, torch.from_numpy(rows).to(torch.float64)).numpy()
    np.testing.assert_allclose(out, expected, rtol=1e-4, atol=1e-4 * np.abs(expected).max())
    # a row's numbers are the same in any batch: alone, or in another group of a per-group run
    alone = np.empty((7, sizes[-1]), dtype=np.float32)
    mlp(rows[40:47].copy(), theta, len(VECTORS), sizes, alone)
    np.testing.assert_array_equal(alone, out[40:47])
    grouped = np.empty_like(out)
    other = theta + np.float32(0.01)
    mlp(rows, np.concatenate([other, theta, other]), len(VECTORS), sizes, grouped)
    np.testing.assert_array_equal(grouped[50:100], out[50:100])
    assert np.abs(grouped[:50] - out[:50]).max() > 1e-4


@pytest.mark.parametrize("variant", ["equivariant", "per_coordinate"])
def test_the_network_on_a_torch_device_takes_the_compiled_step(lj_batch, variant):
    """device="cpu" runs the path a GPU runs (torch on the device); per-replica parameters too."""
    x, f, e = (np.repeat(a, 2, 0) for a in lj_batch)
    net = _trained_like(variant)
    theta = torch.stack([net.theta.detach(), net.theta.detach() * 1.1])
    steps = []
    for device in (None, "cpu"):
        rule = LearnedOptimizer(net, LJ13.scales(), 100, seeds=[0, 1], theta=theta, device=device)
        state = rule.init(x, f, e)
        steps.append(rule.step(state, x, f, e)[0] - x)
    np.testing.assert_allclose(steps[1], steps[0], rtol=1e-4, atol=1e-5 * np.abs(steps[0]).max())
    assert np.abs(steps[0][0] - steps[0][1]).max() > 1e-6


def test_a_network_device_torch_cannot_use_is_refused_in_one_line():
    with pytest.raises(ConfigError, match="not a torch device name"):
        network_device("gpu0")
    if not torch.cuda.is_available():
        with pytest.raises(ConfigError, match="sees no CUDA GPU"):
            LearnedOptimizer(LearnedOptimizerNet(), LJ13.scales(), 10, [0], device="cuda")
    with pytest.raises(ConfigError, match="only cpu and cuda"):
        network_device("meta")


def test_log1p_of_nonnegative_numbers_is_accurate():
    x = np.concatenate([[0.0], 10.0 ** np.linspace(-12, 4, 20001)]).astype(np.float32)
    exact = np.log1p(x.astype(np.float64))
    ulps = np.abs(log1p_nonnegative(x) - exact) / np.maximum(np.spacing(exact.astype(np.float32)), 1e-45)
    assert ulps.max() < 4


def test_counter_noise_is_standard_normal_and_counter_based():
    draws = counter_normal(np.array([3, 4]), np.array([7, 7]), 20001)
    assert draws.shape == (2, 20001) and draws.dtype == np.float32
    assert abs(draws.mean()) < 0.02 and abs(draws.std() - 1) < 0.02
    assert abs(np.corrcoef(draws[0, :10000], draws[0, 10001:20001])[0, 1]) < 0.05  # cosines and sines independent
    np.testing.assert_array_equal(counter_normal(np.array([4]), np.array([7]), 20001)[0], draws[1])


@pytest.mark.parametrize("count", [1, 6, 20001])
def test_counter_noise_drawn_at_some_places_is_the_full_draw_there(count):
    full = counter_normal(np.array([3, 4]), np.array([7, 9]), count)
    rng = np.random.default_rng(count)
    for size in (1, 2, 5, 17, count):
        places = rng.permutation(count)[:size]
        part = counter_normal(np.array([3, 4]), np.array([7, 9]), count, places)
        assert part.dtype == np.float32
        np.testing.assert_array_equal(part, full[:, places])
