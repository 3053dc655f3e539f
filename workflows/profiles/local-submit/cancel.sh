#!/usr/bin/env bash
# Cancel jobs started by submit.sh.
dir="${LOCAL_SUBMIT_DIR:-.snakemake/local-submit}"
for id in "$@"; do kill "$(cat "$dir/$id.pid" 2>/dev/null)" 2>/dev/null || true; done
