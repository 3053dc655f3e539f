"""Commands the workflows call: workflow check."""

from __future__ import annotations

import argparse
import json
import sys


def cmd_workflow_check(args: argparse.Namespace) -> int:
    from ..errors import ConfigError
    from ..workflow_config import check_config

    text = sys.stdin.read() if str(args.config) == "-" else args.config.read_text()
    try:
        config = json.loads(text)
    except json.JSONDecodeError as err:
        raise ConfigError(f"the configuration is not JSON ({err}); give it as the Snakefile passes it") from None
    check_config(config)
    return 0
