#!/usr/bin/env bash
# Status of a job started by submit.sh: running, success or failed.
id="$1"
dir="${LOCAL_SUBMIT_DIR:-.snakemake/local-submit}"
if [ -f "$dir/$id.exit" ]; then
  if [ "$(cat "$dir/$id.exit")" = "0" ]; then echo success; else echo failed; fi
elif kill -0 "$(cat "$dir/$id.pid" 2>/dev/null)" 2>/dev/null; then
  echo running
else
  sleep 1  # the exit file may be on its way
  if [ -f "$dir/$id.exit" ] && [ "$(cat "$dir/$id.exit")" = "0" ]; then echo success; else echo failed; fi
fi
