#!/usr/bin/env bash
# Submit a Snakemake job script to PBS/Torque: walltime from minutes, log folder, and an
# exit-code file written by the job itself (status.sh reads it).
# Arguments: RULE THREADS MEM_MB RUNTIME_MINUTES JOBSCRIPT
set -euo pipefail
rule=$1 threads=$2 mem_mb=$3 runtime=$4 jobscript=$5
walltime=$(printf '%02d:%02d:00' $((runtime / 60)) $((runtime % 60)))
exitdir="$PWD/.snakemake/pbs-exit"
mkdir -p "$exitdir" logs/pbs
wrapper="${jobscript}.pbs"
cat > "$wrapper" <<EOS
#!/bin/bash
bash "$jobscript"; rc=\$?
echo \$rc > "$exitdir/\${PBS_JOBID}"
exit \$rc
EOS
exec qsub -V -N "smk-$rule" -j oe -o logs/pbs/ -l "nodes=1:ppn=$threads" -l "mem=${mem_mb}mb" \
  -l "walltime=$walltime" "$wrapper"
