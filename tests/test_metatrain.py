"""Meta-training: trainers, the objective, a tiny real run, resume, workers, bad checkpoints."""

import json
import os
import shlex
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
import torch

from lopt_lammps.errors import CheckpointError, ConfigError
from lopt_lammps.metatrain import (
    STATE_FILE,
    Task,
    TaskDistribution,
    TrainConfig,
    anytime_loss,
    evaluate_population,
    hit_time_loss,
    make_trainer,
    train,
    train_parallel,
)
from lopt_lammps.optimizers import LearnedOptimizerNet, NetworkConfig


@pytest.mark.parametrize("name", ["esmc", "es", "ga"])
def test_trainers_minimise_a_quadratic(name):
    target = torch.linspace(-1, 1, 20, dtype=torch.float64)
    theta = torch.nn.Parameter(torch.zeros(20, dtype=torch.float64))
    trainer = make_trainer(name, seed=0, pairs=8, sigma=0.05, learning_rate=0.05, scale=torch.ones(20, dtype=torch.float64))
    loss = lambda t: float(((t - target) ** 2).sum())  # noqa: E731
    start = loss(theta.detach())
    for iteration in range(150):
        population = trainer.ask(theta.detach(), iteration)
        trainer.tell(theta, population, np.array([loss(p) for p in population]), iteration)
    assert loss(theta.detach()) < 0.2 * start


def test_esmc_clips_at_the_baseline():
    trainer = make_trainer("esmc", seed=0, pairs=2, sigma=0.1, learning_rate=0.1, scale=torch.ones(3, dtype=torch.float64))
    theta = torch.nn.Parameter(torch.zeros(3, dtype=torch.float64))
    population = trainer.ask(theta.detach(), 0)
    assert population.shape == (5, 3) and torch.equal(population[0], theta.detach())
    # both perturbations worse than the baseline: clipped differences vanish, theta stays
    trainer.tell(theta, population, np.array([0.0, 1.0, 5.0, 2.0, 9.0]), 0)
    assert torch.allclose(theta.detach(), torch.zeros(3, dtype=torch.float64))


def test_anytime_loss_integrates_the_best_so_far():
    # best -1 from evaluation 1, -3 from evaluation 3, over 4 evaluations: (-1 -1 -3 -3) / 4
    assert anytime_loss([1, 3], [-1.0, -3.0], 4, 1.0) == pytest.approx(-2.0)
    assert anytime_loss([1, 3], [-1.0, -3.0], 4, 2.0) == pytest.approx(-1.0)
    assert np.isnan(anytime_loss([], [], 4, 1.0))


def test_hit_time_loss_orders_early_hits_before_late_hits_before_misses():
    budget, reference = 1000, -10.0
    early = hit_time_loss([1, 101], [-9.0, -10.0], budget, reference)
    late = hit_time_loss([1, 901], [-9.0, -9.9995], budget, reference)  # within 1e-3: a hit
    near_miss = hit_time_loss([1, 500], [-9.0, -9.99], budget, reference)
    far_miss = hit_time_loss([1], [-9.0], budget, reference)
    assert (early, late) == (pytest.approx(0.1), pytest.approx(0.9))
    assert near_miss == pytest.approx(2.0) and far_miss == pytest.approx(4.0)  # 1 + log10(gap / 1e-3)
    assert hit_time_loss([1, 1001], [-9.0, -10.0], budget, reference) == far_miss  # a hit after the budget misses
    assert hit_time_loss([], [], budget, reference) == pytest.approx(5.0)


def test_the_hit_time_objective_is_for_hop_policies_and_scores_real_searches():
    from lopt_lammps.metatrain.learners import make_learner
    from lopt_lammps.metatrain.tasks import Task

    with pytest.raises(ConfigError, match="objective 'hit_rate' unknown: log_gap or hit_time"):
        TrainConfig.from_dict({"learner": "hops", "objective": "hit_rate"})
    with pytest.raises(ConfigError, match="objective hit_time is for learner: hops"):
        TrainConfig.from_dict({"objective": "hit_time"})
    learner = make_learner(TrainConfig.from_dict({"learner": "hops", "objective": "hit_time", "hops": {"patience": 50}}))
    theta = learner.initial()[None]
    losses = learner.evaluate(theta, Task("LJ13", 3000, 4), 2, None)
    assert losses.shape == (1, 2) and np.all((losses > 0) & (losses < 1))  # LJ13's icosahedron, hit within the budget


def test_held_out_tasks_are_never_sampled():
    dist = TaskDistribution()
    sampled = {t.formula for it in range(300) for t in dist.sample(0, it, 2)}
    assert not sampled & {t.formula for t in dist.held_out_tasks()}
    assert dist.sample(3, 7, 2) == dist.sample(3, 7, 2)


def test_family_share_stratifies_each_iteration():
    dist = TaskDistribution(families=(("LJ", 31, 37),), compositions=("Ag24Cu6", "Ag21Cu10"), family_share=0.5)
    for it in range(20):
        tasks = dist.sample(13, it, 2)
        assert [t.formula.startswith("LJ") for t in tasks] == [True, False]
        assert 31 <= int(tasks[0].formula[2:]) <= 37 and tasks[1].formula in dist.compositions
    assert sum(t.formula.startswith("LJ") for t in dist.sample(13, 0, 5)) == 2  # round(2.5) to even
    # unset, the draws of earlier configurations stay as they were (the tenth try's, seed 10, 8 x 4 tasks)
    earlier = TaskDistribution(families=(("LJ", 31, 37),), compositions=("Ag24Cu6", "Ag21Cu10", "Ag27Cu5", "Ag22Cu11"))
    drawn = sorted(t.formula for it in range(8) for t in earlier.sample(10, it, 4) if t.formula.startswith("LJ"))
    assert drawn == ["LJ31", "LJ32", "LJ33", "LJ37", "LJ37", "LJ37"]


def tiny_config(**overrides) -> TrainConfig:
    values = dict(
        seed=1, iterations=4, pairs=3, sigma=0.05, learning_rate=0.05, tasks_per_iteration=2, replicas=1,
        save_every=2, held_out_every=0,
        distribution=TaskDistribution(families=(("LJ", 8, 10), ("Cu", 8, 10)), unroll=(40, 60)),
    )
    values.update(overrides)
    return TrainConfig(**values)


def test_resume_after_a_kill_is_bit_identical(tmp_path):
    config = tiny_config()
    straight = train(config, tmp_path / "straight", progress=False)
    train(config, tmp_path / "resumed", progress=False, stop_after=2)  # "killed" after a checkpoint
    resumed = train(config, tmp_path / "resumed", progress=False)
    assert torch.equal(straight, resumed)
    history = json.loads((tmp_path / "resumed" / "history.json").read_text())
    assert [h["iteration"] for h in history] == [0, 1, 2, 3]
    assert (tmp_path / "resumed" / "training_curve.png").stat().st_size > 1000
    assert torch.equal(LearnedOptimizerNet.load(tmp_path / "resumed" / "optimizer.pt").theta.detach(), straight)



def test_a_run_stopped_partway_along_its_schedule_extends_to_the_whole_run(tmp_path):
    whole = tiny_config(schedule="cosine")
    straight = train(whole, tmp_path / "straight", progress=False)
    train(tiny_config(schedule="cosine", iterations=2, schedule_iterations=4), tmp_path / "extended", progress=False)
    extended = train(whole, tmp_path / "extended", progress=False)
    assert torch.equal(straight, extended)
    assert (tmp_path / "extended" / "history.json").read_text() == (tmp_path / "straight" / "history.json").read_text()
    with pytest.raises(CheckpointError, match="different training configuration"):  # another schedule
        train(tiny_config(schedule="cosine", iterations=6), tmp_path / "extended", progress=False)
    with pytest.raises(CheckpointError, match="more than iterations"):
        train(tiny_config(schedule="cosine", iterations=2, schedule_iterations=4), tmp_path / "extended", progress=False)

@pytest.mark.slow

def test_two_workers_give_the_same_update_as_one(tmp_path):
    config = tiny_config(iterations=2)
    one = train(config, tmp_path / "one", progress=False)
    train_parallel(config, tmp_path / "two", n_workers=2)
    two = LearnedOptimizerNet.load(tmp_path / "two" / "optimizer.pt")
    assert torch.equal(one, two.theta.detach())


def test_bad_checkpoints_are_refused(tmp_path):
    config = tiny_config(iterations=2)
    train(config, tmp_path / "run", progress=False)
    with pytest.raises(CheckpointError, match="different training configuration"):
        train(tiny_config(iterations=2, sigma=0.1), tmp_path / "run", progress=False)
    (tmp_path / "run" / STATE_FILE).write_bytes(b"not a checkpoint")
    with pytest.raises(CheckpointError, match="corrupt"):
        train(config, tmp_path / "run", progress=False)


def test_config_errors_are_clear(tmp_path):
    with pytest.raises(ConfigError, match="training configuration: unknown settings: colour"):
        TrainConfig.from_dict({"colour": "blue"})
    with pytest.raises(ConfigError, match="trainer 'sgd' unknown"):
        TrainConfig.from_dict({"trainer": "sgd"})
    path = tmp_path / "c.yaml"
    path.write_text("iterations: 5\nnetwork: {variant: per_coordinate, hidden: [8]}\n")
    config = TrainConfig.from_yaml(path)
    assert config.network.variant == "per_coordinate" and config.network.hidden == (8,)
    assert TrainConfig.from_dict({"network_device": "cpu"}).network_device == "cpu"
    with pytest.raises(ConfigError, match="network_device is for learner: rule"):
        TrainConfig.from_dict({"learner": "hops", "network_device": "cpu"})
    if not torch.cuda.is_available():
        with pytest.raises(ConfigError, match="sees no CUDA GPU"):
            TrainConfig.from_dict({"network_device": "cuda"})


@pytest.mark.slow

def test_training_lowers_the_meta_loss_on_a_fixed_task(tmp_path):
    task = Task("LJ10", 80, seed=5)
    # start from a deliberately timid optimizer: the run must find out that larger steps pay
    config = tiny_config(iterations=12, pairs=4, sigma=0.05, learning_rate=0.03, replicas=2,
                         network=NetworkConfig(initial_skip=(0.0, 0.0, 0.5, 0.0, 0.0)),
                         distribution=TaskDistribution(families=(("LJ", 10, 10),), unroll=(80, 80)))
    net = LearnedOptimizerNet(config.network, seed=config.seed)
    trained = train(config, tmp_path / "run", progress=False)
    loss_before, _ = evaluate_population(net, net.theta.detach()[None], task, replicas=4)
    loss_after, _ = evaluate_population(net, trained[None], task, replicas=4)
    assert loss_after.mean() < loss_before.mean()


def test_silicon_tasks_are_periodic_cells():
    dist = TaskDistribution(families=(("Si", 32, 56),), held_out=("Si64",))
    assert {t.boundary for t in dist.sample(0, 0, 4) + dist.held_out_tasks()} == {"periodic"}
    assert dist.held_out_tasks()[0].system().periodic


def test_the_sign_flip_test_finds_a_common_direction_and_is_uniform_without_one():
    from lopt_lammps.metatrain.trainers import sign_flip_p

    rng = np.random.default_rng(0)
    direction = np.zeros(22)
    direction[:4] = 1.0
    assert sign_flip_p(rng.normal(size=(32, 22)) + direction, np.random.default_rng(1)) < 0.01
    null = np.array([sign_flip_p(rng.normal(size=(16, 22)), np.random.default_rng(i), flips=500) for i in range(400)])
    assert 0.02 < np.mean(null < 0.1) < 0.2 and 0.4 < np.mean(null < 0.5) < 0.6


def test_es_trains_only_the_parameters_it_perturbs():
    from lopt_lammps.metatrain.trainers import AntitheticES

    scale = torch.tensor([1.0, 0.0, 2.0, 0.0], dtype=torch.float64)
    trainer = AntitheticES(seed=3, scale=scale, pairs=4, sigma=0.1, learning_rate=0.1, clip=False)
    theta = torch.nn.Parameter(torch.ones(4, dtype=torch.float64))
    population = trainer.ask(theta.detach(), 0)
    losses = (population**2).sum(1).numpy()
    diagnostics = trainer.tell(theta, population, losses, 0)
    moved = (theta.detach() - 1.0).abs()
    assert torch.all(moved[[1, 3]] == 0) and torch.all(moved[[0, 2]] > 0)
    assert all(np.isfinite(value) for value in diagnostics.values())


def test_parameters_added_as_a_noise_block_leave_the_others_perturbations_as_they_were():
    from lopt_lammps.metatrain.trainers import _noise
    from lopt_lammps.search.learned_policy import NOISE_BLOCKS, N_PARAMETERS

    assert sum(NOISE_BLOCKS) == N_PARAMETERS and len(NOISE_BLOCKS) > 1
    before = _noise(4, 7, 8, torch.ones(NOISE_BLOCKS[0], dtype=torch.float64))
    after = _noise(4, 7, 8, torch.ones(N_PARAMETERS, dtype=torch.float64), NOISE_BLOCKS)
    assert torch.equal(after[:, : NOISE_BLOCKS[0]], before)
    assert after[:, NOISE_BLOCKS[0] :].abs().min() > 0  # the new block is drawn, not left at zero
    with pytest.raises(ValueError, match="add up"):
        _noise(4, 7, 8, torch.ones(3, dtype=torch.float64), (1, 1))


def test_trained_groups_of_the_hop_policy():
    from lopt_lammps.metatrain.learners import make_learner

    config = TrainConfig.from_dict({"learner": "hops", "trained": ["log_kt", "log_step"]})
    assert int((make_learner(config).scale() > 0).sum()) == 2
    with pytest.raises(ConfigError, match="unknown: temperature"):
        TrainConfig.from_dict({"learner": "hops", "trained": ["temperature"]})
    with pytest.raises(ConfigError, match="learner: hops"):
        TrainConfig.from_dict({"trained": ["log_kt"]})


def test_a_schedule_may_outlast_its_run():
    config = TrainConfig.from_dict({"schedule": "cosine", "iterations": 8, "schedule_iterations": 16})
    assert config.schedule_iterations == 16
    for wrong in ({"schedule": "cosine", "iterations": 8, "schedule_iterations": 4}, {"iterations": 8, "schedule_iterations": 16}):
        with pytest.raises(ConfigError, match="schedule_iterations .* is for schedule: cosine"):
            TrainConfig.from_dict(wrong)


def test_a_hop_training_starts_from_an_earlier_stage_policy(tmp_path):
    from lopt_lammps.metatrain.learners import make_learner
    from lopt_lammps.search.learned_policy import initial_parameters, save_policy, slices
    from lopt_lammps.search.policies import BasinHoppingSettings

    theta = initial_parameters(BasinHoppingSettings())
    theta[slices()["swap_weak"]] = [0.8, -0.3, -0.8]
    save_policy(tmp_path / "stage1.json", theta, BasinHoppingSettings().patience)
    config = TrainConfig.from_dict({"learner": "hops", "start_policy": str(tmp_path / "stage1.json"), "trained": ["log_kt"]})
    np.testing.assert_array_equal(make_learner(config).initial().numpy(), theta)
    with pytest.raises(ConfigError, match="has patience"):
        make_learner(TrainConfig.from_dict({"learner": "hops", "start_policy": str(tmp_path / "stage1.json"),
                                            "hops": {"patience": 7}}))
    with pytest.raises(ConfigError, match="start_policy: hop-policy file .* not found"):
        make_learner(TrainConfig.from_dict({"learner": "hops", "start_policy": str(tmp_path / "missing.json")}))
    with pytest.raises(ConfigError, match="start_policy is for learner: hops"):
        TrainConfig.from_dict({"start_policy": str(tmp_path / "stage1.json")})


def test_a_checkpoint_from_before_a_new_key_still_resumes():
    config = TrainConfig.from_dict({"learner": "hops", "trained": ["log_kt"], "pairs": 3})
    stored = json.loads(json.dumps(config.to_dict()))
    del stored["start_policy"]  # written by a version without it: its default
    assert config.continues(stored) and config.continues({**stored, "iterations": 1})
    assert not config.continues({**stored, "pairs": 4})
    assert not config.continues({**stored, "no_such_key": 1}) and not config.continues("pairs: 3")


def _alive(pid: int) -> bool:
    """Whether process ``pid`` exists and is not a zombie (Linux /proc)."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except FileNotFoundError:
        return False
    return "\nState:\tZ" not in status


@pytest.mark.skipif(not Path("/proc/self/task").is_dir(), reason="needs Linux /proc to find the workers")
def test_killing_the_training_stops_its_workers(tmp_path):
    """As on a cluster or under nohup: the training runs detached (its parent is gone), is killed, and
    its workers must not go on computing and writing checkpoints into its folder."""
    config = tmp_path / "long.yaml"
    config.write_text("iterations: 100000\npairs: 3\nsigma: 0.05\ntasks_per_iteration: 2\nreplicas: 1\nheld_out_every: 0\n"
                      "distribution: {families: [[LJ, 8, 10]], unroll: [40, 60]}\n")
    command = shlex.join([sys.executable, "-m", "lopt_lammps.cli", "train", str(config), "--out", str(tmp_path / "out"), "--workers", "2"])
    launched = subprocess.run(["bash", "-c", f"{command} > /dev/null 2>&1 & echo $!"], capture_output=True, text=True, check=True)
    training = int(launched.stdout)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and not (tmp_path / "out" / "history.json").exists():
        time.sleep(0.2)  # the workers have started and trained an iteration
    workers = [int(pid) for pid in Path(f"/proc/{training}/task/{training}/children").read_text().split()]
    assert workers and all(map(_alive, workers))
    os.kill(training, signal.SIGTERM)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and any(map(_alive, workers)):
        time.sleep(0.2)
    survivors = [pid for pid in workers if _alive(pid)]
    for pid in survivors:
        os.kill(pid, signal.SIGKILL)
    assert not survivors, "workers outlived the killed training"
