"""Data files shipped with lopt-lammps (the pretrained optimizer)."""
