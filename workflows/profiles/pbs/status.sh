#!/usr/bin/env bash
# Status of a PBS job for snakemake-executor-plugin-cluster-generic: running, success or failed.
# Reads the exit code the job wrote (see submit.sh); works for Torque and PBS Pro.
id="$1"
exit_file="$PWD/.snakemake/pbs-exit/$id"
if [ -f "$exit_file" ]; then
  if [ "$(cat "$exit_file")" = "0" ]; then echo success; else echo failed; fi
  exit 0
fi
state=$( (qstat -f "$id" 2>/dev/null || qstat -x -f "$id" 2>/dev/null) | awk -F' = ' '/job_state/ {print $2}')
case "$state" in
  ""|C|F)  # gone, or finished without an exit file (walltime, memory, qdel): allow for file-system latency
    sleep 10
    if [ -f "$exit_file" ] && [ "$(cat "$exit_file")" = "0" ]; then echo success; else echo failed; fi ;;
  *) echo running ;;
esac
