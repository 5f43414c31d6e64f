// Interop and speed counterpart of cflow, run by interop_test.go:
//
//   node interop.mjs verify-ldp FILE        verify a Data Integrity credential with @digitalbazaar/vc
//   node interop.mjs issue-ldp FILE         sign the unsigned credential in FILE (eddsa-rdfc-2022, a new did:key)
//   node interop.mjs verify-jwt FILE        verify a JWT credential (the file holds the compact JWS) with did-jwt-vc
//   node interop.mjs bench-ldp FILE N       time N verifications of FILE, print {"ns_per_op": …}
//
// Every answer is one JSON line on stdout. Contexts come only from
// internal/jsonld/contexts (the same bytes cflow embeds) and did:key
// documents are built locally: the document loader never touches the network.
import {readFileSync} from 'node:fs';
import {dirname, join} from 'node:path';
import {fileURLToPath} from 'node:url';

import * as vc from '@digitalbazaar/vc';
import {DataIntegrityProof} from '@digitalbazaar/data-integrity';
import {cryptosuite as eddsaRdfc2022} from '@digitalbazaar/eddsa-rdfc-2022-cryptosuite';
import * as Ed25519Multikey from '@digitalbazaar/ed25519-multikey';
import {verifyCredential as verifyJwtCredential} from 'did-jwt-vc';
import {Resolver} from 'did-resolver';

const here = dirname(fileURLToPath(import.meta.url));
const contextDir = join(here, '..', '..', 'internal', 'jsonld', 'contexts');

// The same URL → file table as internal/jsonld/loader.go (standard and
// example sets).
const contextFiles = {
  'https://www.w3.org/ns/credentials/v2': 'credentials-v2.jsonld',
  'https://www.w3.org/2018/credentials/v1': 'credentials-v1.jsonld',
  'https://w3id.org/security/data-integrity/v2': 'data-integrity-v2.jsonld',
  'https://w3id.org/security/data-integrity/v1': 'data-integrity-v1.jsonld',
  'https://w3id.org/security/multikey/v1': 'multikey-v1.jsonld',
  'https://w3id.org/security/jwk/v1': 'jwk-v1.jsonld',
  'https://www.w3.org/ns/cid/v1': 'cid-v1.jsonld',
  'https://www.w3.org/ns/credentials/status/v1': 'vc-bitstring-status-list-v1.jsonld',
  'https://www.w3.org/ns/did/v1': 'did-v1.jsonld',
  'https://w3id.org/security/suites/ed25519-2020/v1': 'ed25519-2020-v1.jsonld',
  'https://www.w3.org/ns/credentials/examples/v2': 'credentials-examples-v2.jsonld',
  'https://www.w3.org/2018/credentials/examples/v1': 'credentials-examples-v1.jsonld',
};
const contexts = new Map();
for(const [url, file] of Object.entries(contextFiles)) {
  contexts.set(url, JSON.parse(readFileSync(join(contextDir, file), 'utf8')));
}

// didKeyDocument builds the DID document of an Ed25519 did:key (did:key
// method §3.1.2, Multikey representation).
async function didKeyDocument(did) {
  const fp = did.slice('did:key:'.length);
  if(!fp.startsWith('z6Mk')) {
    throw new Error(`only Ed25519 did:key is served here: ${did}`);
  }
  const vmId = `${did}#${fp}`;
  const key = await Ed25519Multikey.from({id: vmId, controller: did, publicKeyMultibase: fp});
  const vm = await key.export({publicKey: true, includeContext: false});
  return {
    '@context': ['https://www.w3.org/ns/did/v1', 'https://w3id.org/security/multikey/v1'],
    id: did,
    verificationMethod: [vm],
    assertionMethod: [vmId],
    authentication: [vmId],
  };
}

async function documentLoader(url) {
  if(contexts.has(url)) {
    return {contextUrl: null, documentUrl: url, document: contexts.get(url)};
  }
  if(url.startsWith('did:key:')) {
    const [did, fragment] = url.split('#');
    const doc = await didKeyDocument(did);
    if(!fragment) {
      return {contextUrl: null, documentUrl: url, document: doc};
    }
    const vm = doc.verificationMethod.find(m => m.id === url);
    if(!vm) {
      throw new Error(`${url} is not in its DID document`);
    }
    return {contextUrl: null, documentUrl: url,
      document: {'@context': 'https://w3id.org/security/multikey/v1', ...vm}};
  }
  throw new Error(`document loader: ${url} is not served (offline)`);
}

async function verifyLdp(credential) {
  const suite = new DataIntegrityProof({cryptosuite: eddsaRdfc2022});
  const result = await vc.verifyCredential({credential, suite, documentLoader});
  const error = result.error ?
    (result.error.errors || [result.error]).map(e => e.message).join('; ') : undefined;
  return {verified: result.verified, error};
}

async function issueLdp(credential) {
  const probe = await Ed25519Multikey.generate();
  const fp = probe.publicKeyMultibase;
  const did = `did:key:${fp}`;
  const key = await Ed25519Multikey.from({...probe, id: `${did}#${fp}`, controller: did});
  credential.issuer = did;
  const suite = new DataIntegrityProof({signer: key.signer(), cryptosuite: eddsaRdfc2022});
  return vc.issue({credential, suite, documentLoader});
}

// did-jwt resolves through did-resolver; this one serves Ed25519 did:key.
const jwtResolver = new Resolver({
  key: async did => {
    const doc = await didKeyDocument(did);
    // did-jwt reads publicKeyMultibase of Ed25519VerificationKey2020.
    doc.verificationMethod = doc.verificationMethod.map(m => ({...m, type: 'Ed25519VerificationKey2020'}));
    return {didResolutionMetadata: {}, didDocument: doc, didDocumentMetadata: {}};
  }
});

async function verifyJwt(jwt) {
  try {
    const r = await verifyJwtCredential(jwt.trim(), jwtResolver);
    return {verified: r.verified === true, issuer: r.issuer};
  } catch(e) {
    return {verified: false, error: e.message};
  }
}

async function benchLdp(credential, n) {
  const suite = new DataIntegrityProof({cryptosuite: eddsaRdfc2022});
  // Warm up: the first runs pay for JIT and context processing.
  for(let i = 0; i < 20; i++) {
    const r = await vc.verifyCredential({credential, suite, documentLoader});
    if(!r.verified) {
      throw new Error('bench credential does not verify');
    }
  }
  const start = process.hrtime.bigint();
  for(let i = 0; i < n; i++) {
    await vc.verifyCredential({credential, suite, documentLoader});
  }
  const ns = Number(process.hrtime.bigint() - start);
  return {ns_per_op: ns / n, n};
}

const [cmd, file, n] = process.argv.slice(2);
const input = readFileSync(file, 'utf8');
let out;
switch(cmd) {
case 'verify-ldp': out = await verifyLdp(JSON.parse(input)); break;
case 'issue-ldp': out = await issueLdp(JSON.parse(input)); break;
case 'verify-jwt': out = await verifyJwt(input); break;
case 'bench-ldp': out = await benchLdp(JSON.parse(input), Number(n || 200)); break;
default:
  console.error(`unknown command ${cmd}`);
  process.exit(2);
}
process.stdout.write(JSON.stringify(out) + '\n');
