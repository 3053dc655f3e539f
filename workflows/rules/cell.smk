# Large periodic crystals relaxed over MPI ranks (lopt-lammps relax-cell): snakemake relax_cells.
# Each job asks for `ranks` MPI tasks; on SLURM the profile runs it with srun (resources mpi, tasks).

import os
import shutil

CELLS = config["cells"]
# "auto": the mpirun of this Python's environment (lammps[mpi] installs one), else the one on PATH
MPI_LAUNCHER = CELLS["mpi"] if CELLS["mpi"] != "auto" else (
    shutil.which("mpirun", path=os.path.dirname(sys.executable)) or "mpirun")


rule relax_cell:
    output:
        summary=f"{RESULTS}/cells/{{crystal}}.json",
        structure=f"{RESULTS}/cells/{{crystal}}.extxyz",
    log: f"{RESULTS}/cells/{{crystal}}.log"
    params:
        rule=CELLS["rule"],
        evaluations=CELLS["evaluations"],
    resources:
        mpi=MPI_LAUNCHER,
        tasks=CELLS["ranks"],
    shell:
        "{resources.mpi:q} -n {resources.tasks:q} {LOPT} relax-cell {wildcards.crystal:q} --rule {params.rule:q} "
        "--evaluations {params.evaluations:q} --json {output.summary:q} -o {output.structure:q} > {log:q} 2>&1"
