"""Shared fixtures: a private cache folder so tests never write to the user's home."""

import os
import tempfile

import pytest

os.environ.setdefault("LOPT_LAMMPS_CACHE", tempfile.mkdtemp(prefix="lopt-lammps-test-cache-"))


@pytest.fixture
def rng():
    import numpy as np

    return np.random.default_rng(12345)
