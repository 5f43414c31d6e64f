// compile.js compiles EthereumDIDRegistry.sol with the pinned npm solc
// (package-lock.json) through standard-JSON input, because the solc CLI of the
// npm package cannot set the EVM version. Usage: node compile.js <outDir>
// Writes <outDir>/EthereumDIDRegistry.abi and <outDir>/EthereumDIDRegistry.bin.
'use strict';
const fs = require('fs');
const path = require('path');
const solc = require('solc');

const NAME = 'EthereumDIDRegistry';
// cancun runs on every EVM chain we target (mainnet, L2s, geth --dev) and
// on the embedded chain; nothing in the contract needs a later fork.
const EVM_VERSION = 'cancun';

const outDir = process.argv[2] || '.';
const source = fs.readFileSync(path.join(__dirname, NAME + '.sol'), 'utf8');
const input = {
  language: 'Solidity',
  sources: { [NAME + '.sol']: { content: source } },
  settings: {
    evmVersion: EVM_VERSION,
    optimizer: { enabled: true, runs: 200 },
    // No metadata hash in the bytecode: the .bin depends only on the source
    // and these settings, so go generate reproduces it byte for byte.
    metadata: { bytecodeHash: 'none', appendCBOR: false },
    outputSelection: { '*': { '*': ['abi', 'evm.bytecode.object'] } },
  },
};
const out = JSON.parse(solc.compile(JSON.stringify(input)));
const errors = (out.errors || []).filter((e) => e.severity === 'error');
for (const e of out.errors || []) {
  process.stderr.write(e.formattedMessage + '\n');
}
if (errors.length > 0) {
  process.exit(1);
}
const c = out.contracts[NAME + '.sol'][NAME];
fs.mkdirSync(outDir, { recursive: true });
fs.writeFileSync(path.join(outDir, NAME + '.abi'), JSON.stringify(c.abi, null, 1) + '\n');
fs.writeFileSync(path.join(outDir, NAME + '.bin'), c.evm.bytecode.object);
process.stderr.write('solc ' + solc.version() + ' evm ' + EVM_VERSION + ': ' + NAME + ' ' + c.evm.bytecode.object.length / 2 + ' bytes\n');
