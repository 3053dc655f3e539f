"""The learned hop policy: features, its start at basin hopping, its choices, its files, its training."""

import json
from collections import Counter
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
import torch
from ase.cluster import Icosahedron

from lopt_lammps.errors import CheckpointError
from lopt_lammps.metatrain import TaskDistribution, TrainConfig, shape_fitness, train
from lopt_lammps.search.learned_policy import (
    ADDED_IN_VERSION,
    N_PARAMETERS,
    LearnedHopPolicy,
    atom_features,
    changed_slices,
    initial_parameters,
    load_policy,
    policy_fingerprint,
    save_policy,
    site_features,
    slices,
)
from lopt_lammps.search.moves import coordination, surface_sites
from lopt_lammps.search.policies import BasinHoppingSettings
from lopt_lammps.structures import random_positions
from lopt_lammps.systems import System

AGCU = System.parse("Ag10Cu3")


def icosahedron(nn: float) -> np.ndarray:
    return Icosahedron("Ag", 2, latticeconstant=nn * np.sqrt(2)).positions.copy()


def test_features_of_an_icosahedron():
    system = System.parse("Ag13")
    phi = atom_features(system, icosahedron(2.89))
    centre = int(np.argmin(np.linalg.norm(icosahedron(2.89) - icosahedron(2.89).mean(0), axis=1)))
    assert phi[centre, 0] == pytest.approx(1.0) and phi[centre, 2] == pytest.approx(0.0)
    surface = np.delete(phi, centre, axis=0)
    assert np.allclose(surface[:, 0], 6 / 12) and np.allclose(surface[:, 2], 1.0)
    assert np.allclose(phi[:, 1], 1.0)  # one element: every neighbour is alike


def test_the_untrained_policy_moves_like_basin_hopping(rng):
    settings = BasinHoppingSettings(swap_probability=0.3, atom_move_probability=0.1, atom_move_target="surface")
    policy = LearnedHopPolicy(AGCU, initial_parameters(settings), settings.patience)
    x = random_positions(AGCU, 0)
    kinds = Counter(policy.propose(x, rng)[1] for _ in range(4000))
    assert kinds["swap"] / 4000 == pytest.approx(0.3, abs=0.03)
    assert kinds["atom"] / 4000 == pytest.approx(0.1, abs=0.02)
    counts = coordination(x, 1.35 * AGCU.nearest_neighbour())
    for _ in range(50):  # a single-atom move takes one of the least coordinated atoms
        moved = policy._move_atom(x, rng)
        atom = int(np.flatnonzero((moved != x).any(axis=1))[0])
        assert counts[atom] <= np.sort(counts)[2]
    theta = initial_parameters(settings)
    assert np.exp(theta[slices()["log_step"]][0]) == pytest.approx(settings.step)


def test_swap_scores_choose_which_atoms_trade_places(rng):
    theta = initial_parameters(BasinHoppingSettings())
    theta[slices()["swap_strong"]] = [-60.0, 0.0, 0.0]  # the least coordinated Cu
    theta[slices()["swap_weak"]] = [60.0, 0.0, 0.0]     # the most coordinated Ag
    policy = LearnedHopPolicy(AGCU, theta, 0)
    x = random_positions(AGCU, 1)
    phi = atom_features(AGCU, x)
    types = np.asarray(AGCU.types)
    cu, ag = np.flatnonzero(types == 2), np.flatnonzero(types == 1)
    expected = {int(cu[np.argmin(phi[cu, 0])]), int(ag[np.argmax(phi[ag, 0])])}
    if len(set(phi[cu, 0])) == len(cu) and len(set(phi[ag, 0])) == len(ag):
        moved = policy._swap(x, rng)
        assert set(np.flatnonzero((moved != x).any(axis=1)).tolist()) == expected


def test_moves_whose_weights_are_zero_do_not_compute_the_features(monkeypatch):
    import lopt_lammps.search.learned_policy as module

    policy = LearnedHopPolicy(AGCU, initial_parameters(BasinHoppingSettings()), 0)
    x = random_positions(AGCU, 2)
    expected = x + np.random.default_rng(3).uniform(-1.0, 1.0, size=x.shape) * 0.4 * AGCU.nearest_neighbour()
    monkeypatch.setattr(module, "atom_features", lambda *args: pytest.fail("features computed"))
    assert np.allclose(policy._displace(x, np.random.default_rng(3)), expected, rtol=0, atol=1e-12)
    moved = policy._swap(x, np.random.default_rng(4))
    assert sorted(np.asarray(AGCU.types)[(moved != x).any(axis=1)]) == [1, 2]  # one Ag and one Cu traded places


def test_site_features_tell_a_vertex_from_a_face():
    nn = 2 ** (1 / 6)
    x = icosahedron(nn)
    centre = int(np.argmin(np.linalg.norm(x - x.mean(0), axis=1)))
    shell = np.delete(np.arange(13), centre)
    a = (centre + 1) % 13
    others = shell[shell != a]
    b = others[np.argmin(np.linalg.norm(x[others] - x[a], axis=1))]
    rest = others[others != b]
    c = rest[np.argmin(np.maximum(np.linalg.norm(x[rest] - x[a], axis=1), np.linalg.norm(x[rest] - x[b], axis=1)))]
    face = x[[a, b, c]].mean(0) - x[centre]  # a triangle of the shell
    face /= np.linalg.norm(face)
    vertex = (x[a] - x[centre]) / np.linalg.norm(x[a] - x[centre])
    lone = np.vstack([x, x.mean(0) + 10 * vertex])  # an extra atom far away, the one that moves
    phi = site_features(lone, 13, surface_sites(lone, 13, nn, np.stack([vertex, face])), nn)
    assert phi[0, 0] == pytest.approx(1 / 12)  # on top of a vertex: that atom only
    assert phi[1, 0] >= 3 / 12                  # above a face: its three atoms and more
    assert phi[0, 1] > phi[1, 1]                # a vertex reaches farther out than a face


def test_site_scores_choose_where_a_moved_atom_lands(rng):
    system = System.parse("LJ20")
    x = random_positions(system, 3)
    nn = system.nearest_neighbour()

    def landing_neighbours(weight: float) -> float:
        theta = initial_parameters(BasinHoppingSettings())
        theta[slices()["site_score"]] = [weight, 0.0]
        policy = LearnedHopPolicy(system, theta, 0)
        counts = []
        for _ in range(200):
            moved = policy._move_atom(x, rng)
            atom = int(np.flatnonzero((moved != x).any(axis=1))[0])
            counts.append(site_features(x, atom, moved[atom][None], nn)[0, 0])
        return float(np.mean(counts))

    assert landing_neighbours(40.0) > landing_neighbours(0.0) > landing_neighbours(-40.0)


@pytest.mark.parametrize("version", [1, 2])
def test_older_policy_files_load_with_the_later_groups_at_zero(tmp_path, version):
    theta = np.linspace(-1, 1, N_PARAMETERS)
    later = [name for v, name in ADDED_IN_VERSION.items() if v > version]
    for name in later:
        theta[slices()[name]] = 0.0
    path = tmp_path / "policy.json"
    save_policy(path, theta, 200)
    payload = json.loads(path.read_text())
    payload.update(version=version, theta=payload["theta"][: slices()[later[0]].start])
    for name in later:
        del payload["parameters"][name]
    path.write_text(json.dumps(payload))
    back, patience, _ = load_policy(path)
    assert np.array_equal(back, theta) and patience == 200


def test_a_policy_keeps_its_fingerprint_as_zero_groups_are_added():
    theta = np.linspace(-1, 1, N_PARAMETERS)
    theta[slices()["site_score"].start :] = 0.0  # the groups added since version 1
    assert policy_fingerprint(theta, 200) == policy_fingerprint(theta[: slices()["site_score"].start], 200)
    for name in ADDED_IN_VERSION.values():
        moved = theta.copy()
        moved[slices()[name].stop - 1] = 1e-3
        assert policy_fingerprint(moved, 200) != policy_fingerprint(theta, 200)


def test_the_focus_moves_surface_atoms_more_at_the_same_geometric_mean_step(rng):
    system = System.parse("Ag13")
    x = icosahedron(2.89)
    centre = int(np.argmin(np.linalg.norm(x - x.mean(0), axis=1)))
    theta = initial_parameters(BasinHoppingSettings())
    theta[slices()["focus_score"]] = [0.0, 0.0, 2.0]  # on the distance from the centre
    plain = LearnedHopPolicy(system, initial_parameters(BasinHoppingSettings()), 0)
    focused = LearnedHopPolicy(system, theta, 0)

    def mean_log_steps(policy: LearnedHopPolicy) -> np.ndarray:
        moves = np.stack([np.abs(policy._displace(x, rng) - x).max(axis=1) for _ in range(400)])
        return np.log(moves).mean(axis=0)

    flat, focus = mean_log_steps(plain), mean_log_steps(focused)
    assert focus[centre] < flat[centre] - 1.0 and (np.delete(focus - flat, centre) > 0).all()
    assert focus.mean() == pytest.approx(flat.mean(), abs=0.05)


def test_stagnation_raises_the_temperature(rng):
    theta = initial_parameters(BasinHoppingSettings(temperature=0.01))
    theta[slices()["kt_stagnation"]] = 3.0
    policy = LearnedHopPolicy(AGCU, theta, patience=100)
    policy.restart(0)
    calm = np.mean([policy.accept(-10.0, -9.9, rng) for _ in range(4000)])
    policy.restart(99)
    stuck = np.mean([policy.accept(-10.0, -9.9, rng) for _ in range(4000)])
    assert stuck > calm + 0.1


def test_policy_files_round_trip_and_refuse_anything_else(tmp_path):
    theta = np.linspace(-1, 1, N_PARAMETERS)
    path = tmp_path / "policy.json"
    save_policy(path, theta, 150, {"note": "test"})
    back, patience, metadata = load_policy(path)
    assert np.array_equal(back, theta) and patience == 150 and metadata["note"] == "test"
    assert policy_fingerprint(back, patience) == policy_fingerprint(theta, 150)
    payload = json.loads(path.read_text())
    for broken, match in [({**payload, "theta": payload["theta"][:-1]}, "damaged"),
                          ({**payload, "theta": [float("nan")] * N_PARAMETERS}, "damaged"),
                          ({**payload, "format": "something"}, "not a lopt-lammps hop-policy"),
                          ({**payload, "parameters": {"other": 22}}, "another version")]:
        path.write_text(json.dumps(broken))
        with pytest.raises(CheckpointError, match=match):
            load_policy(path)
    path.write_text("{not json")
    with pytest.raises(CheckpointError, match="not a readable"):
        load_policy(path)
    with pytest.raises(CheckpointError, match="not found"):
        load_policy(tmp_path / "missing.json")


def test_rank_shaping_keeps_only_the_order():
    losses = np.array([[3.0, 1.0, 2.0], [100.0, -5.0, 7.0]])
    assert shape_fitness(losses, "rank").tolist() == [0.5, -0.5, 0.0]


@pytest.mark.slow

def test_a_tiny_hop_policy_training_runs_and_resumes_bit_identically(tmp_path):
    config = TrainConfig(seed=2, learner="hops", shaping="rank", schedule="cosine", iterations=3, pairs=2, sigma=0.1,
                         learning_rate=0.05, tasks_per_iteration=1, replicas=1, save_every=1, held_out_every=3,
                         held_out_replicas=2, hops={"patience": 50},
                         distribution=TaskDistribution(families=(), compositions=("LJ13",), unroll=(600, 600),
                                                       held_out=("Ag10Cu3",), held_out_budget=400, held_out_seeds=(0,)))
    straight = train(config, tmp_path / "straight", progress=False)
    train(config, tmp_path / "resumed", progress=False, stop_after=1)
    resumed = train(config, tmp_path / "resumed", progress=False)
    assert torch.equal(straight, resumed)
    theta, patience, metadata = load_policy(tmp_path / "resumed" / "policy.json")
    assert np.array_equal(theta, straight.numpy()) and patience == 50 and metadata["iterations"] == 3
    history = json.loads((tmp_path / "straight" / "history.json").read_text())
    assert {"gradient_cosine_halves", "drift", "random_walk", "learning_rate"} <= set(history[0])
    assert history[-1]["learning_rate"] < history[0]["learning_rate"]  # cosine schedule
    assert {"held_out", "held_out_interval", "held_out_change"} <= set(history[-1])
    # a run that ends partway along a longer schedule is the longer run stopped there
    partway = replace(config, iterations=2, held_out_every=0, schedule_iterations=3)
    train(partway, tmp_path / "partway", progress=False)
    stopped = json.loads((tmp_path / "partway" / "history.json").read_text())
    assert stopped == [{k: v for k, v in record.items() if not k.startswith("held_out")} for record in history[:2]]


def test_the_shipped_policy_is_basin_hopping_with_trained_swaps_move_mix_step_and_temperature():
    from lopt_lammps.metatrain import TrainConfig
    from lopt_lammps.pretrained import pretrained_policy_path, resolve_method

    theta, patience, metadata = load_policy(pretrained_policy_path())
    trained = changed_slices(theta, initial_parameters(BasinHoppingSettings()))
    assert trained == ["move_logits", "move_stagnation", "swap_strong", "swap_weak", "log_step", "log_kt", "kt_stagnation"]
    assert patience == BasinHoppingSettings().patience
    # the last of the workflow's training stages (snakemake metatrain): the same training, started from the
    # third stage as then shipped (lopt_lammps/data/learned_policy.json) where the workflow starts from its own third stage
    config = TrainConfig.from_yaml(Path(__file__).resolve().parent.parent / "workflows/config/metatrain-hop-policy-stage4.yaml")
    trained_with = TrainConfig.from_dict(json.loads(metadata["training_config"]))
    assert replace(trained_with, start_policy=config.start_policy) == config
    assert metadata["iterations"] == config.iterations
    assert resolve_method("auto", None)[0] == "learned"
