#!/usr/bin/env bash
# Installs the pinned npm packages of test/interop (@digitalbazaar/vc with the
# eddsa-rdfc-2022 cryptosuite, did-jwt-vc, …) from package-lock.json. This
# runs with network; the interop tests then run offline (their document
# loader serves only the bundled contexts). Under CI=true the interop tests
# fail, rather than skip, when node_modules is missing.
set -euo pipefail
cd "$(dirname "$0")/../test/interop"

if ! command -v node >/dev/null 2>&1; then
	echo "install-interop: node not found; installing Debian's nodejs and npm"
	apt-get update -qq && apt-get install -y -qq nodejs npm
fi
major=$(node -p 'process.versions.node.split(".")[0]')
if (( major < 18 )); then
	echo "install-interop: node $(node --version) is too old (need 18 or later)" >&2
	exit 1
fi
# npm ci: exactly the lock file, no lock rewrite; no install scripts run.
npm ci --no-audit --no-fund --ignore-scripts --loglevel=error
echo "install-interop: $(node --version), $(ls node_modules | wc -l) packages in test/interop/node_modules"
