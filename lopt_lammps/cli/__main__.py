"""``python -m lopt_lammps.cli``."""

import sys

from . import main

sys.exit(main())
