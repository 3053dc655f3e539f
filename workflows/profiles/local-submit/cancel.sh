#!/usr/bin/env bash
# Cancel jobs started by submit.sh: stop each job's whole process group.
dir="${LOCAL_SUBMIT_DIR:-.snakemake/local-submit}"
for id in "$@"; do
  pid=$(cat "$dir/$id.pid" 2>/dev/null) && kill -- "-$pid" 2>/dev/null || true
done
