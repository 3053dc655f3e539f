"""The learned optimizer as an update rule: features, network, capped step.

Per atom, the rule keeps momenta of the force at three decay rates and a second-moment
estimate of its magnitude (Adam-style bias corrected). Each step it builds

* rotation-invariant features: magnitudes of force and momenta, their alignments, the
  RMS force, smooth coordination numbers at several radii (radial descriptors of the
  neighbourhood), the fraction of the budget used, the energy per atom, the gap to the replica's best energy so far and how long
  ago that best was found;
* vectors: force and momenta normalised by the RMS force, and a Gaussian noise direction;

and the network (:mod:`.network`, compiled in :mod:`.network_kernel`) turns them into a step of at most ``max_step``
nearest-neighbour distances per atom. Lengths are measured in the system's
nearest-neighbour distance and energies in its cohesive energy, so one network serves
Lennard-Jones, metals and silicon alike.
"""

from __future__ import annotations


import numpy as np
import torch
import torch.nn.functional as functional

from ..errors import ConfigError
from ..systems import Scales
from .base import State
from .learned_features import coordination, counter_normal, displace, features
from .network import VECTORS, LearnedOptimizerNet
from .network_kernel import mlp

#: the rule's state entries, in the order the compiled features take them
_STATE = ("m", "v", "t", "best", "since_best", "calls")


def log1p_nonnegative(x: np.ndarray) -> np.ndarray:
    """log(1 + x) for x >= 0, vectorised (numpy's log1p runs one number at a time): the
    logarithm of u = 1 + x less the first-order effect of u's rounding, (u - 1 - x) / u."""
    one = x.dtype.type(1)
    u = x + one
    error = u - one
    error -= x
    error /= u
    out = np.log(u, out=u)
    out -= error
    return out


def network_device(name: str) -> torch.device:
    """The torch device ``name`` (``cpu``, ``cuda``, ``cuda:N``) for the learned rule's
    network, refused with a clear error where torch cannot use it."""
    try:
        device = torch.device(name)
    except (RuntimeError, TypeError):
        raise ConfigError(f"network device {name!r} is not a torch device name: cpu, cuda or cuda:N") from None
    if device.type == "cuda":
        if not torch.cuda.is_available():
            raise ConfigError(f"network device {name!r}: torch {torch.__version__} sees no CUDA GPU "
                              "(torch.cuda.is_available() is False); install a CUDA build of torch on a GPU "
                              "machine, or leave the device unset for the compiled CPU network")
        if device.index is not None and device.index >= torch.cuda.device_count():
            raise ConfigError(f"network device {name!r}: torch sees {torch.cuda.device_count()} CUDA GPU(s)")
    elif device.type != "cpu":
        raise ConfigError(f"network device {name!r}: only cpu and cuda devices are supported")
    return device


class LearnedOptimizer:
    """Update rule driven by a :class:`LearnedOptimizerNet`.

    ``budget`` is the number of evaluations the run will get (for the progress feature);
    ``theta`` optionally gives each replica its own parameters (B, P); ``seeds`` (one per
    replica) fix each replica's noise: it depends only on the seed and the replica's own
    step count (``calls`` in the state, which survives restarts), never on other replicas.
    The rule takes the network's parameters as they are when it is built. Features and
    network are compiled (:mod:`.learned_features`, :mod:`.network_kernel`); the network
    runs in single precision.
    """

    name = "learned"
    #: state entries that a restart keeps (the noise counter: a restart never replays noise)
    persistent = ("calls",)

    def __init__(self, net: LearnedOptimizerNet, scales: Scales, budget: int, seeds: list[int], theta: torch.Tensor | None = None,
                 device: str | None = None):
        self.net = net
        self.config = net.config
        self.scales = scales
        self.budget = max(1, int(budget))
        self.theta = theta
        with torch.no_grad():  # the network's parameters as they are now, in single precision, one set per row
            weights = net.theta if theta is None else theta
            self._theta = np.ascontiguousarray(weights.reshape(-1, net.n_params).to(torch.float32).numpy())
        self._skip = self._theta[:, : len(VECTORS)]
        self._sizes = np.array(self.config.layer_sizes, dtype=np.int64)
        self.seeds = np.asarray(seeds, dtype=np.int64)
        self._params = (float(scales.length), float(scales.energy), float(scales.n_atoms), float(scales.cell or 0.0),
                        float(self.budget), float(self.config.second_moment_decay))
        self._decays = np.array(self.config.momentum_decays, dtype=np.float64)
        self._radii = np.array(self.config.coordination_radii, dtype=np.float64)
        self._scratch: tuple[np.ndarray, ...] | None = None
        self.device = None if device is None else network_device(device)
        if self.device is not None:  # the layers as (G, in, out) and (G, 1, out) on the device
            _, layers = net.layers(torch.from_numpy(self._theta))
            self._device_layers = [(w.to(self.device), b[:, None, :].to(self.device)) for w, b in layers]

    def init(self, x: np.ndarray, f: np.ndarray, e: np.ndarray) -> State:
        b, n, _ = x.shape
        return {
            "m": np.zeros((b, 3, n, 3)),
            "v": np.zeros((b, n)),
            "t": np.zeros(b),
            "best": np.array(e, dtype=np.float64),
            "since_best": np.zeros(b),
            "calls": np.zeros(b, dtype=np.int64),
        }

    def _buffers(self, b: int, n: int) -> tuple[np.ndarray, ...]:
        """Scratch arrays of one step (magnitudes, invariants, vectors, coordination), made once per shape."""
        if self._scratch is None or self._scratch[0].shape[:2] != (b, n):
            self._scratch = (np.empty((b, n, 5), dtype=np.float32), np.empty((b, n, self.config.n_invariants), dtype=np.float32),
                             np.empty((b, n, 3, len(VECTORS)), dtype=np.float32), np.empty((b, n, len(self._radii)), dtype=np.float32))
        return self._scratch

    def features(self, state: State, x: np.ndarray, f: np.ndarray, e: np.ndarray, cn: np.ndarray | None = None,
                 noise: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray, State]:
        """Invariant features (B, N, F), vectors (B, N, 3, 5), both single precision (scratch
        arrays that the next call overwrites), and the state, whose arrays are updated in place
        (as :class:`.Lbfgs` does).

        The coordination numbers ``cn`` (B, N, R; float32) and the noise (B, 3N) are computed
        here from all atoms of each replica, unless given (a rank of a distributed cell gives
        those of its own atoms: :mod:`lopt_lammps.distributed`)."""
        b, n, _ = x.shape
        if noise is None:
            noise = counter_normal(self.seeds, state["calls"] + 1, 3 * n)
        magnitudes, invariants, vectors, own_cn = self._buffers(b, n)
        if cn is None:
            cn = own_cn
            coordination(x, self._params[0], self._params[3], self._radii, cn)
        arrays = tuple(state[k] for k in _STATE)  # advanced in place: less memory for LAMMPS to share the cache with
        features(f, np.asarray(e, dtype=np.float64), cn, arrays, arrays, noise, self._params, self._decays, magnitudes,
                 invariants, vectors)
        invariants[..., :5] = log1p_nonnegative(magnitudes)
        return invariants, vectors, state

    def _network(self, inputs: np.ndarray) -> np.ndarray:
        """The network's outputs (M, out) for inputs (M, in), float32; rows in G equal groups,
        group g with parameter set g."""
        if self.device is None:
            out = np.empty((len(inputs), self._sizes[-1]), dtype=np.float32)
            mlp(inputs, self._theta, len(VECTORS), self._sizes, out)
            return out
        with torch.no_grad():
            h = torch.from_numpy(np.ascontiguousarray(inputs)).to(self.device).reshape(len(self._theta), -1, inputs.shape[1])
            for k, (w, bias) in enumerate(self._device_layers):
                h = torch.baddbmm(bias, h, w)
                if k < len(self._device_layers) - 1:
                    h = functional.silu(h)
            return h.reshape(len(inputs), -1).cpu().numpy()

    def step(self, state: State, x: np.ndarray, f: np.ndarray, e: np.ndarray, cn: np.ndarray | None = None,
             noise: np.ndarray | None = None) -> tuple[np.ndarray, State]:
        """The rule's step; ``cn`` and ``noise`` as for :meth:`features`."""
        invariants, vectors, state = self.features(state, x, f, e, cn, noise)
        b, n, n_vectors = vectors.shape[0], vectors.shape[1], len(VECTORS)
        if self.config.variant == "equivariant":  # the step is the vectors weighted by the network's coefficients
            network = self._network(invariants.reshape(b * n, -1))
            coefficients = network.reshape(b, n, n_vectors) + self._skip[:, None, :]
        else:  # the network sees each coordinate's invariants and vector entries, and gives the step along it
            rows = np.concatenate([np.broadcast_to(invariants[:, :, None, :], (b, n, 3, invariants.shape[2])), vectors], axis=3)
            network = self._network(rows.reshape(b * n * 3, -1))
            vectors = ((vectors * self._skip[:, None, None, :]).sum(axis=3) + network.reshape(b, n, 3))[..., None]
            coefficients = np.ones((b, n, 1), dtype=np.float32)
        length = self.scales.length
        out = np.empty_like(x)
        displace(x, vectors, coefficients, self.config.step_scale * length, self.config.max_step * length, out)
        return out, state
