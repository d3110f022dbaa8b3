#!/bin/bash
# ctest Mcp.TypeScriptSdkClient: installs the MCP TypeScript SDK (package-lock.json) when it is missing, then runs
# client.mjs against DAPSCOPE in a temporary folder.
# Usage: tests/mcp/run.sh path/to/dapscope
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
DAPSCOPE=$1
command -v node >/dev/null || { echo "run.sh: node is missing (scripts/install-deps.sh installs it)" >&2; exit 1; }
if [ ! -d "$HERE/node_modules/@modelcontextprotocol/sdk" ]; then
    (cd "$HERE" && npm ci --no-audit --no-fund --silent)
fi
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
node "$HERE/client.mjs" "$DAPSCOPE" "$WORK"
