#!/usr/bin/env bash
# The README's main command: generate run 012100 with fake-daq, then process it to event_info with straxer.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
node "$here/bin/daqflow.js" fake-daq --runs 012100 --size-mb "${DEMO_SIZE_MB:-50}"
node "$here/bin/straxer.js" 012100 --target event_info
