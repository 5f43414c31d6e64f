// compile.js compiles our contracts with the pinned npm solc
// (package-lock.json) through standard-JSON input, because the solc CLI of the
// npm package cannot set the EVM version. Usage: node compile.js <outDir>
// Writes <outDir>/<Name>.abi and <outDir>/<Name>.bin for every contract below,
// and <outDir>/<Name>.runtime.bin (the deployed code) where asked: verifiers
// compare it with the code at an address a status list names.
'use strict';
const fs = require('fs');
const path = require('path');
const solc = require('solc');

// Each contract is compiled on its own (one source per standard-JSON input),
// so adding a contract never changes another's output.
const CONTRACTS = [
  { name: 'EthereumDIDRegistry', runtime: false },
  { name: 'StatusAnchor', runtime: true },
];
// cancun runs on every EVM chain we target (mainnet, L2s, geth --dev) and
// on the embedded chain; nothing in the contracts needs a later fork.
const EVM_VERSION = 'cancun';

const outDir = process.argv[2] || '.';
fs.mkdirSync(outDir, { recursive: true });
let failed = false;
for (const { name, runtime } of CONTRACTS) {
  const source = fs.readFileSync(path.join(__dirname, name + '.sol'), 'utf8');
  const input = {
    language: 'Solidity',
    sources: { [name + '.sol']: { content: source } },
    settings: {
      evmVersion: EVM_VERSION,
      optimizer: { enabled: true, runs: 200 },
      // No metadata hash in the bytecode: the .bin depends only on the source
      // and these settings, so go generate reproduces it byte for byte.
      metadata: { bytecodeHash: 'none', appendCBOR: false },
      outputSelection: { '*': { '*': ['abi', 'evm.bytecode.object', 'evm.deployedBytecode.object'] } },
    },
  };
  const out = JSON.parse(solc.compile(JSON.stringify(input)));
  for (const e of out.errors || []) {
    process.stderr.write(e.formattedMessage + '\n');
    if (e.severity === 'error') {
      failed = true;
    }
  }
  if (failed) {
    continue;
  }
  const c = out.contracts[name + '.sol'][name];
  fs.writeFileSync(path.join(outDir, name + '.abi'), JSON.stringify(c.abi, null, 1) + '\n');
  fs.writeFileSync(path.join(outDir, name + '.bin'), c.evm.bytecode.object);
  if (runtime) {
    fs.writeFileSync(path.join(outDir, name + '.runtime.bin'), c.evm.deployedBytecode.object);
  }
  process.stderr.write('solc ' + solc.version() + ' evm ' + EVM_VERSION + ': ' + name + ' ' + c.evm.bytecode.object.length / 2 + ' bytes\n');
}
if (failed) {
  process.exit(1);
}
