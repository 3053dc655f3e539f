# lopt-lammps workflows. Targets:
#   snakemake search_agcu   Ag-Cu composition scan (the default config; minutes on 2 cores)
#   snakemake search_si     disordered Stillinger-Weber silicon
#   snakemake search_lj     Lennard-Jones clusters
#   snakemake relax_cells   large periodic crystals relaxed over MPI ranks
#   snakemake metatrain     reproduce the shipped hop policy and update-rule network (hours)
#   snakemake benchmark     search-quality benchmark
# Rules only call the lopt-lammps command line; see docs/workflows.md.

import os

from snakemake.utils import min_version, validate

min_version("9.0")

configfile: os.path.join(workflow.basedir, "workflows/config/config.yaml")
validate(config, "workflows/schemas/config.schema.yaml")

wildcard_constraints:
    campaign=r"[A-Za-z0-9_]+",
    system=r"[A-Za-z0-9]+",
    chunk=r"\d+",
    round=r"\d+",

include: "workflows/rules/common.smk"
include: "workflows/rules/search.smk"
include: "workflows/rules/metatrain.smk"
include: "workflows/rules/benchmark.smk"
include: "workflows/rules/cell.smk"


rule search_agcu:
    input: campaign_targets("agcu")


rule metatrain:
    input: expand(f"{RESULTS}/{{training}}/reproduction.txt", training=SHIPPED_TRAININGS)


rule search_si:
    input: campaign_targets("si")


rule search_lj:
    input: campaign_targets("lj")


rule relax_cells:
    input: expand(f"{RESULTS}/cells/{{crystal}}.json", crystal=config["cells"]["crystals"])
