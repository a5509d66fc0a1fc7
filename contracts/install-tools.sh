#!/usr/bin/env bash
# Installs the Solidity compiler (solc-js), OpenZeppelin 5 and anvil into contracts/node_modules
# (gitignored), at the versions pinned in package.json / package-lock.json.
# Needed only to rebuild contracts/artifacts (./build) and to run the chain tests against anvil;
# the Rust build reads the committed artifacts and never needs node.
set -euo pipefail
cd "$(dirname "$0")"
if [ -f package-lock.json ]; then
  npm ci --no-audit --no-fund
else
  npm install --no-audit --no-fund --save-exact solc@0.8.37 @openzeppelin/contracts@5.7.0 @foundry-rs/anvil@1.7.1
fi
# The chain tests look here (or at $ANVIL_BIN, or on PATH) for the anvil binary itself.
echo "anvil: $(pwd)/node_modules/@foundry-rs/anvil-linux-amd64/bin/anvil"
