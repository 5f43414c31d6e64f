#!/usr/bin/env bash
# Times eddsa-rdfc-2022 verification of the same credential with
# @digitalbazaar/vc and with cflow in the same run (issue 5 "Speed"), then
# aries-framework-go's Ed25519Signature2020 verification beside ours.
# Needs test/interop/node_modules (.ci/install-interop.sh). N runs each:
#   test/interop/speed.sh [N]
set -euo pipefail
cd "$(dirname "$0")"
CFLOW_SPEED=1 CFLOW_SPEED_N="${1:-500}" go test -count=1 -run '^TestSpeedEddsaRdfc2022$' -v . | grep -E 'eddsa-rdfc-2022|FAIL|ok'
go test -count=1 -run '^$' -bench 'Ed25519Signature2020' -benchtime=2s . | grep -E 'Benchmark|FAIL'
