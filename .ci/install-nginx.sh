#!/usr/bin/env bash
# Installs Debian's nginx unless one is on PATH. The gateway's forward-auth
# end-to-end test (test/e2e/gateway_nginx_test.go) puts it in front of a
# sample upstream with auth_request → /v1/gateway/authorize; without nginx
# that test skips locally and fails under CI.
set -euo pipefail
command -v nginx || (apt-get update && apt-get install -y nginx-light || apt-get install -y nginx)
