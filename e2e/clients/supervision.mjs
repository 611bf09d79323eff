// ethers v6 against a live permissioned dev network: a regulator freeze of a contract,
// seen from an ordinary OpenZeppelin-based application. Compiles (solc-js) and deploys a
// contract P ("Pool") and an Ownable "Treasury" whose owner-only fund() calls into P; two
// regulators freeze P (target kind 2, contract) through the supervision module at
// 0x…e17e04 with a human-readable ABI of ISupervision; then:
//   - estimateGas of Treasury.fund() reverts, and ethers decodes ContractFrozen(orderId)
//     from the revert data with the ISupervision ABI (the denial of the inner call to P
//     reverts the whole transaction);
//   - a transaction sent anyway (explicit gas limit) is mined with status 0 and changes
//     nothing;
//   - views keep working through eth_call: P.deposits() and Treasury.poolDeposits()
//     (which calls P);
//   - after the committee lifts the order, fund() succeeds again.
//
// Env: ENTENTE_RPC_HTTP, ENTENTE_CHAIN_ID,
//      ENTENTE_REGULATOR_KEYS  comma-separated keys of at least two accounts with the role
//                              `regulator` (two of a three-member committee pass at 66 %),
//      ENTENTE_PRIVATE_KEY     a registered account with the `deployer` role.
// Exits 0 printing ALL OK, or 1 with a FAIL line.

import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import solc from 'solc';
import { ethers } from 'ethers';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const TOTAL_TIMEOUT_MS = 55_000; // whole script; the harness allows ~60 s
const STEP_TIMEOUT_MS = 20_000; // any single wait

const SUPERVISION = '0x0000000000000000000000000000000000e17e04';
const KIND_CONTRACT = 2;
const DIRECTION_BOTH = 3;
const REASON_SANCTIONS = 3;

// ISupervision (crates/modules/src/supervision/abi.rs) as a human-readable ABI.
const SPEC =
  'tuple(uint8 kind, bytes32 target, bytes4 selector, address asset, uint256 amount, uint8 direction, uint16 reason, bytes32 legalBasis, bytes32 caseRef, uint64 expiresAt)';
const ORDER = `tuple(uint64 id, ${SPEC} spec, bool emergency, address issuedBy, uint64 proposalId, uint64 activatedAt, uint8 status, uint64 closedAt, uint256 consumed, bool active)`;
const SUPERVISION_ABI = [
  `function proposeFreeze(${SPEC} spec) returns (uint64)`,
  'function proposeLift(uint64 orderId) returns (uint64)',
  'function vote(uint64 proposalId, bool agree)',
  `function getOrder(uint64 id) view returns (${ORDER})`,
  'function isFrozen(uint8 kind, bytes32 target, bytes4 selector, address asset) view returns (bool frozen, uint64 orderId)',
  'event FreezeProposed(uint64 indexed proposalId, uint8 kind, bytes32 indexed target, address indexed proposer)',
  'event LiftProposed(uint64 indexed proposalId, uint64 indexed orderId, address indexed proposer)',
  'event Voted(uint64 indexed proposalId, address indexed member, bool agree)',
  'event FreezeActivated(uint64 indexed orderId, uint8 kind, bytes32 indexed target, uint64 proposalId)',
  'event OrderLifted(uint64 indexed orderId, uint64 proposalId)',
  'event SubjectNotified(bytes32 indexed target, uint64 indexed orderId, uint16 reason, bytes32 legalBasis)',
  'error Unauthorized(address caller, string reason)',
  'error InvalidInput(string reason)',
  'error NotFound(string what)',
  'error TargetNotFreezable(bytes32 target, string reason)',
  'error ProposalNotOpen(uint64 proposalId, uint8 status)',
  'error Frozen(uint64 orderId)',
  'error ContractFrozen(uint64 orderId)',
];

const SOURCE = `
// SPDX-License-Identifier: MIT
pragma solidity ^0.8.20;
import {Ownable} from "@openzeppelin/contracts/access/Ownable.sol";

/// P: what the regulators freeze.
contract Pool {
    uint256 public deposits;
    event Deposited(address indexed from, uint256 total);

    function deposit() external {
        deposits += 1;
        emit Deposited(msg.sender, deposits);
    }
}

interface IPool {
    function deposit() external;
    function deposits() external view returns (uint256);
}

/// An ordinary OpenZeppelin application that depends on P.
contract Treasury is Ownable {
    IPool public immutable pool;

    constructor(IPool pool_) Ownable(msg.sender) {
        pool = pool_;
    }

    function fund() external onlyOwner {
        pool.deposit();
    }

    function poolDeposits() external view returns (uint256) {
        return pool.deposits();
    }
}
`;

const t0 = Date.now();
const log = (msg) => console.log(`[supervision +${((Date.now() - t0) / 1000).toFixed(1)}s] ${msg}`);

function fail(msg) {
  console.error(`[supervision] FAIL: ${msg}`);
  process.exit(1);
}

setTimeout(() => fail(`timed out after ${TOTAL_TIMEOUT_MS / 1000}s`), TOTAL_TIMEOUT_MS);

function env(name) {
  const v = process.env[name];
  if (!v) fail(`environment variable ${name} is not set`);
  return v;
}

class CheckError extends Error {}

function check(cond, msg) {
  if (!cond) throw new CheckError(`check failed: ${msg}`);
}

function withTimeout(promise, what, ms = STEP_TIMEOUT_MS) {
  let timer;
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new CheckError(`timeout after ${ms / 1000}s waiting for ${what}`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

function errorText(err) {
  return [err?.shortMessage, err?.message, err?.info?.error?.message, err?.error?.message]
    .filter(Boolean)
    .join(' | ');
}

function compile() {
  const input = {
    language: 'Solidity',
    sources: { 'Treasury.sol': { content: SOURCE } },
    settings: {
      evmVersion: 'cancun',
      optimizer: { enabled: true, runs: 200 },
      outputSelection: { '*': { '*': ['abi', 'evm.bytecode.object'] } },
    },
  };
  const modules = path.join(HERE, 'node_modules');
  const findImports = (importPath) => {
    const file = path.join(modules, importPath);
    if (!file.startsWith(modules + path.sep)) return { error: `bad import ${importPath}` };
    try {
      return { contents: fs.readFileSync(file, 'utf8') };
    } catch {
      return { error: `import not found: ${importPath}` };
    }
  };
  const out = JSON.parse(solc.compile(JSON.stringify(input), { import: findImports }));
  const errors = (out.errors ?? []).filter((e) => e.severity === 'error');
  if (errors.length) throw new Error(`solc errors:\n${errors.map((e) => e.formattedMessage).join('\n')}`);
  const pick = (name) => {
    const c = out.contracts['Treasury.sol'][name];
    return { abi: c.abi, bytecode: '0x' + c.evm.bytecode.object };
  };
  return { pool: pick('Pool'), treasury: pick('Treasury') };
}

async function deploy(artifact, signer, args, what) {
  const factory = new ethers.ContractFactory(artifact.abi, artifact.bytecode, signer);
  const contract = await withTimeout(factory.deploy(...args), `deploy ${what}`);
  await withTimeout(contract.waitForDeployment(), `${what} deployed`);
  return contract;
}

// Sends a transaction that must succeed; returns the supervision events of its receipt.
async function mined(sup, send, what) {
  const tx = await withTimeout(send(), `${what} (send)`);
  const receipt = await withTimeout(tx.wait(), `${what} (receipt)`);
  check(receipt.status === 1, `${what}: status ${receipt.status}`);
  const events = receipt.logs
    .filter((l) => l.address.toLowerCase() === SUPERVISION)
    .map((l) => sup.interface.parseLog(l))
    .filter(Boolean);
  log(`${what}: block ${receipt.blockNumber}${events.length ? `, ${events.map((e) => e.name).join(', ')}` : ''}`);
  return events;
}

const first = (events, name) => {
  const found = events.find((e) => e.name === name);
  check(found != null, `no ${name} event (got ${events.map((e) => e.name).join(', ') || 'none'})`);
  return found;
};

// The supervision error in a rejected call, decoded with the ISupervision ABI.
function supervisionError(sup, err, via) {
  const data = err?.data ?? err?.info?.error?.data ?? err?.error?.data;
  check(typeof data === 'string' && data.length >= 10, `${via}: no revert data (${errorText(err)})`);
  const decoded = sup.interface.parseError(data);
  check(decoded != null, `${via}: revert data ${data} is not an ISupervision error`);
  return decoded;
}

async function main() {
  const provider = new ethers.JsonRpcProvider(env('ENTENTE_RPC_HTTP'), Number(env('ENTENTE_CHAIN_ID')), {
    staticNetwork: true,
    pollingInterval: 200,
  });
  // Nonces kept here: a deployment is visible (eth_getCode) a moment before the pending
  // nonce counts it.
  const owner = new ethers.NonceManager(new ethers.Wallet(env('ENTENTE_PRIVATE_KEY'), provider));
  const regulators = env('ENTENTE_REGULATOR_KEYS')
    .split(',')
    .map((k) => new ethers.NonceManager(new ethers.Wallet(k.trim(), provider)));
  check(regulators.length >= 2, 'ENTENTE_REGULATOR_KEYS names fewer than two regulators');
  const [r0, r1] = regulators;
  const sup = new ethers.Contract(SUPERVISION, SUPERVISION_ABI, provider);

  // --- an OpenZeppelin application and the contract it depends on ---
  const { pool: poolArtifact, treasury: treasuryArtifact } = compile();
  const pool = await deploy(poolArtifact, owner, [], 'Pool');
  const poolAddress = await pool.getAddress();
  const treasury = await deploy(treasuryArtifact, owner, [poolAddress], 'Treasury');
  check((await treasury.owner()) === (await owner.getAddress()), 'Ownable: the deployer owns the treasury');
  await mined(sup, () => treasury.fund(), 'Treasury.fund() before the freeze');
  check((await pool.deposits()) === 1n, 'one deposit');
  // Ownable's own error, decoded by the contract's ABI: the application is unchanged.
  try {
    await withTimeout(treasury.connect(r0).fund.staticCall(), 'fund() by a non-owner');
    throw new CheckError('a non-owner could fund');
  } catch (err) {
    if (err instanceof CheckError) throw err;
    const data = err?.data ?? err?.info?.error?.data;
    check(treasury.interface.parseError(data)?.name === 'OwnableUnauthorizedAccount', `non-owner: ${errorText(err)}`);
  }
  log(`Pool at ${poolAddress}, Ownable Treasury at ${await treasury.getAddress()}`);

  // --- two of the three regulators freeze P (kind 2, contract) ---
  const target = ethers.zeroPadValue(poolAddress, 32);
  const spec = {
    kind: KIND_CONTRACT,
    target,
    selector: '0x00000000',
    asset: ethers.ZeroAddress,
    amount: 0n,
    direction: DIRECTION_BOTH,
    reason: REASON_SANCTIONS,
    legalBasis: ethers.sha256(ethers.toUtf8Bytes('Decision 2026/77: freeze of the Pool contract')),
    caseRef: ethers.encodeBytes32String('CASE-77'),
    expiresAt: 0n,
  };
  // A non-member is refused by name before anything is sent.
  try {
    await withTimeout(sup.connect(owner).proposeFreeze.staticCall(spec), 'proposeFreeze by a non-member');
    throw new CheckError('a non-member could propose a freeze');
  } catch (err) {
    if (err instanceof CheckError) throw err;
    check(supervisionError(sup, err, 'non-member').name === 'Unauthorized', 'non-member refusal');
  }
  const proposed = await mined(sup, () => sup.connect(r0).proposeFreeze(spec), 'proposeFreeze(Pool)');
  const proposalId = first(proposed, 'FreezeProposed').args.proposalId;
  check(first(proposed, 'FreezeProposed').args.target === target, 'FreezeProposed target');
  const activated = await mined(sup, () => sup.connect(r1).vote(proposalId, true), `vote(${proposalId}, agree)`);
  const orderId = first(activated, 'FreezeActivated').args.orderId;
  check(first(activated, 'SubjectNotified').args.reason === BigInt(REASON_SANCTIONS), 'SubjectNotified reason');
  const [frozen, frozenBy] = await sup.isFrozen(KIND_CONTRACT, target, '0x00000000', ethers.ZeroAddress);
  check(frozen === true && frozenBy === orderId, `isFrozen: ${frozen}, order ${frozenBy}`);
  const order = await sup.getOrder(orderId);
  check(order.active && order.spec.legalBasis === spec.legalBasis, 'getOrder: active with its legal basis');
  log(`order ${orderId} freezes the Pool`);

  // --- the OZ contract's call into P is denied: ContractFrozen(orderId) ---
  try {
    await withTimeout(treasury.fund.estimateGas(), 'estimateGas(fund)');
    throw new CheckError('estimateGas of fund() succeeded on a frozen Pool');
  } catch (err) {
    if (err instanceof CheckError) throw err;
    const decoded = supervisionError(sup, err, 'estimateGas(fund)');
    check(decoded.name === 'ContractFrozen', `estimateGas reverted with ${decoded.name}`);
    check(decoded.args.orderId === orderId, `ContractFrozen names order ${decoded.args.orderId}`);
  }
  log(`estimateGas(Treasury.fund) reverts with ContractFrozen(${orderId})`);
  // Sent anyway: mined, status 0, nothing changed.
  const blocked = await withTimeout(treasury.fund({ gasLimit: 200_000n }), 'fund() sent anyway');
  let receipt;
  try {
    receipt = await withTimeout(blocked.wait(), 'receipt of the blocked fund()');
  } catch (err) {
    if (err instanceof CheckError) throw err;
    receipt = err?.receipt ?? (await provider.getTransactionReceipt(blocked.hash));
  }
  check(receipt != null && receipt.status === 0, `the blocked transaction has status ${receipt?.status}`);
  check((await pool.deposits()) === 1n, 'the blocked call changed the Pool');
  log(`fund() sent with a gas limit: mined in block ${receipt.blockNumber} with status 0`);

  // --- views still work: eth_call skips the per-frame checks ---
  check((await pool.deposits()) === 1n, 'Pool.deposits() via eth_call');
  check((await treasury.poolDeposits()) === 1n, 'Treasury.poolDeposits() (a call into P) via eth_call');
  log('views of the frozen Pool, direct and through the Treasury, still answer');

  // --- the committee lifts the order; the call goes through again ---
  const lift = await mined(sup, () => sup.connect(r1).proposeLift(orderId), `proposeLift(${orderId})`);
  const liftId = first(lift, 'LiftProposed').args.proposalId;
  const lifted = await mined(sup, () => sup.connect(r0).vote(liftId, true), `vote(${liftId}, agree)`);
  check(first(lifted, 'OrderLifted').args.orderId === orderId, 'OrderLifted names the order');
  check((await sup.isFrozen(KIND_CONTRACT, target, '0x00000000', ethers.ZeroAddress))[0] === false, 'still frozen');
  await mined(sup, () => treasury.fund(), 'Treasury.fund() after the lift');
  check((await pool.deposits()) === 2n, 'the deposit after the lift');
  check((await sup.getOrder(orderId)).status === 2n, 'the order reads lifted');
  console.log('ALL OK');
}

main().then(
  () => process.exit(0),
  (err) => fail(err?.stack ?? String(err)),
);
