#!/usr/bin/env bash
# Status of a PBS job for snakemake-executor-plugin-cluster-generic: running, success or failed.
id="$1"
state=$(qstat -f "$id" 2>/dev/null | awk -F' = ' '/job_state/ {print $2}')
if [ -z "$state" ]; then
  code=$(tracejob "$id" 2>/dev/null | grep -o 'Exit_status=[-0-9]*' | tail -1 | cut -d= -f2)
  if [ "$code" = "0" ]; then echo success; else echo failed; fi
elif [ "$state" = "C" ] || [ "$state" = "F" ]; then
  code=$(qstat -f "$id" | awk -F' = ' '/exit_status/ {print $2}')
  if [ "$code" = "0" ]; then echo success; else echo failed; fi
else
  echo running
fi
