#!/usr/bin/env bash
# Installs geth at the go-ethereum version go.mod pins, unless a geth binary
# is already on PATH or at $GETH. The did:ethr resolver suite runs against it
# (internal/ledger, did/didethr); without it that half of the suite skips.
set -euo pipefail
cd "$(dirname "$0")/.."

if [[ -n "${GETH:-}" && -x "${GETH}" ]] || command -v geth >/dev/null 2>&1; then
	echo "install-geth: $(command -v geth || echo "$GETH") already present"
	exit 0
fi
version=$(go list -m -f '{{.Version}}' github.com/ethereum/go-ethereum)
echo "install-geth: go install github.com/ethereum/go-ethereum/cmd/geth@${version} (about 4 minutes cold)"
GOFLAGS=-mod=mod go install "github.com/ethereum/go-ethereum/cmd/geth@${version}"
echo "install-geth: installed $(go env GOPATH)/bin/geth"
