"""Potential parameter files, installed as ``lopt_lammps.potential_files``."""
