#!/usr/bin/env bash
# "Submit" a Snakemake job script: run it in the background in its own session (so that
# cancel.sh can stop the whole process group), record its exit code, print a job id.
set -euo pipefail
jobscript="${!#}"
dir="${LOCAL_SUBMIT_DIR:-.snakemake/local-submit}"
mkdir -p "$dir"
id="job-$(date +%s%N)"
setsid nohup bash -c 'bash "$1"; echo $? > "$2"' _ "$jobscript" "$dir/$id.exit" > "$dir/$id.log" 2>&1 < /dev/null &
echo $! > "$dir/$id.pid"
echo "$id"
