#!/usr/bin/env bash
# "Submit" a Snakemake job script: run it in the background, print a job id.
set -euo pipefail
jobscript="${!#}"
dir="${LOCAL_SUBMIT_DIR:-.snakemake/local-submit}"
mkdir -p "$dir"
id="job-$(date +%s%N)"
nohup bash -c "bash '$jobscript'; echo \$? > '$dir/$id.exit'" > "$dir/$id.log" 2>&1 &
echo $! > "$dir/$id.pid"
echo "$id"
