"""lopt-lammps: learned optimizers driving LAMMPS for global structure search."""

__version__ = "0.1.0"
