// ethers v6 against a live permissioned dev network: the governance module at
// 0x…e17e01 through a human-readable ABI of IGovernance. Reads the registries,
// registers an account as org0's admin, shows an unregistered wallet and a
// non-deployer refused, then proposes a parameter change and has the other org admins
// vote until it executes, checking every step through the receipts' parsed logs.
//
// Env: ENTENTE_RPC_HTTP, ENTENTE_CHAIN_ID,
//      ENTENTE_ADMIN_KEYS  comma-separated admin keys of the organisations (org0 first;
//                          `entente dev` writes them to <data-dir>/network/orgN/admin.key),
//      ENTENTE_PRIVATE_KEY a registered account with the `deployer` role (a dev account).
// Exits 0 on success, 1 with a FAIL line otherwise.

import { ethers } from 'ethers';

const TOTAL_TIMEOUT_MS = 55_000; // whole script; the harness allows ~60 s
const STEP_TIMEOUT_MS = 20_000; // any single wait (receipt, RPC call)

const GOVERNANCE = '0x0000000000000000000000000000000000e17e01';
const TTL_PARAM = 'governance.proposal_ttl_blocks';
const KIND_SET_PARAM = 7n;
const STATUS = { open: 1n, executed: 2n };

// IGovernance (crates/modules/src/governance/abi.rs) as a human-readable ABI.
const ORG = 'tuple(bytes32 id, string name, address admin, uint8 status, uint32 weight)';
const VALIDATOR =
  'tuple(bytes32 publicKey, bytes32 org, address feeRecipient, string p2pAddress, uint64 fromEpoch, uint64 untilEpoch)';
const PROPOSAL =
  'tuple(uint64 id, uint8 kind, bytes32 target, bytes payload, bytes32 proposerOrg, uint64 createdAt, uint64 expiresAt, uint8 status, uint32 agreeWeight, uint32 againstWeight, uint32 totalWeight)';
const GOVERNANCE_ABI = [
  `function orgs() view returns (${ORG}[])`,
  `function getOrg(bytes32 id) view returns (${ORG})`,
  'function getAccount(address account) view returns (bytes32 org, uint8 status, string[] roles)',
  'function hasRole(address account, string role) view returns (bool)',
  `function validators() view returns (${VALIDATOR}[])`,
  'function isPermissioned() view returns (bool)',
  'function approvalPct() view returns (uint8)',
  'function proposalTtlBlocks() view returns (uint64)',
  'function registerAccount(address account, string[] roles)',
  'function setAccountStatus(address account, uint8 status)',
  'function grantRole(address account, string role)',
  'function revokeRole(address account, string role)',
  'function proposeSetParam(string key, uint256 value) returns (uint64)',
  'function vote(uint64 id, bool agree)',
  'function revoke(uint64 id)',
  `function getProposal(uint64 id) view returns (${PROPOSAL})`,
  'function proposalCount() view returns (uint64)',
  'event AccountRegistered(address indexed account, bytes32 indexed org)',
  'event RoleGranted(address indexed account, string role, address indexed by)',
  'event RoleRevoked(address indexed account, string role, address indexed by)',
  'event ParamChanged(string key, uint256 value)',
  'event ProposalCreated(uint64 indexed id, uint8 kind, bytes32 target, bytes32 indexed proposerOrg, uint64 expiresAt)',
  'event Voted(uint64 indexed id, bytes32 indexed org, bool agree, uint32 weight)',
  'event ProposalExecuted(uint64 indexed id)',
  'event ProposalRejected(uint64 indexed id)',
  'error Unauthorized(address caller, string reason)',
  'error NotFound(string what)',
  'error AlreadyExists(string what)',
  'error InvalidInput(string reason)',
  'error AlreadyVoted(uint64 id, bytes32 org)',
  'error ProposalNotOpen(uint64 id, uint8 status)',
  'error OpenProposalExists(uint64 id)',
];

// Init code of the smallest contract: returns the one-byte runtime code 0x00 (STOP).
const TINY_INIT_CODE = '0x600060005360016000f3';

const t0 = Date.now();
const log = (msg) => console.log(`[governance +${((Date.now() - t0) / 1000).toFixed(1)}s] ${msg}`);

function fail(msg) {
  console.error(`[governance] FAIL: ${msg}`);
  process.exit(1);
}

// Never hang: a hard deadline for the whole script, whatever is pending.
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

// An organisation id: UTF-8 text right-padded with zeros to 32 bytes.
function orgText(id) {
  const bytes = ethers.getBytes(id);
  let end = bytes.length;
  while (end > 0 && bytes[end - 1] === 0) end -= 1;
  return ethers.toUtf8String(bytes.slice(0, end));
}

// Everything an ethers error says, for matching node messages.
function errorText(err) {
  return [err?.shortMessage, err?.message, err?.info?.error?.message, err?.error?.message]
    .filter(Boolean)
    .join(' | ');
}

// The governance custom error in a reverted call's data, decoded with the ABI.
function governanceError(gov, err, via) {
  const data = err?.data ?? err?.info?.error?.data;
  check(typeof data === 'string' && data.length >= 10, `${via}: no revert data in error (${errorText(err)})`);
  const decoded = gov.interface.parseError(data);
  check(decoded != null, `${via}: revert data ${data} is not an IGovernance error`);
  return decoded;
}

// Expects `promise` (a staticCall) to revert with the governance error `name`.
async function expectRevert(gov, promise, name, via) {
  try {
    await withTimeout(promise, via);
  } catch (err) {
    if (err instanceof CheckError) throw err;
    const decoded = governanceError(gov, err, via);
    check(decoded.name === name, `${via}: reverted with ${decoded.name}, expected ${name}`);
    return decoded;
  }
  throw new CheckError(`${via}: did not revert (expected ${name})`);
}

// The node's own words in an ethers error (the JSON-RPC error message when there is one).
function nodeMessage(err) {
  return err?.error?.message ?? err?.info?.error?.message ?? err?.shortMessage ?? String(err);
}

// Expects the node to refuse the signed transaction at the door (eth_sendRawTransaction).
async function expectRefused(send, words, via) {
  try {
    const tx = await withTimeout(send(), via);
    throw new CheckError(`${via}: the node accepted transaction ${tx.hash}`);
  } catch (err) {
    if (err instanceof CheckError) throw err;
    const text = errorText(err).toLowerCase();
    for (const word of words) check(text.includes(word), `${via}: error does not mention "${word}": ${errorText(err)}`);
    return nodeMessage(err);
  }
}

// Sends a governance transaction and returns its receipt's logs parsed with the ABI.
async function sendAndParse(gov, what, send) {
  const tx = await withTimeout(send(), `${what} send`);
  const receipt = await withTimeout(tx.wait(), `${what} receipt`);
  check(receipt.status === 1, `${what}: receipt status ${receipt.status}`);
  const events = receipt.logs
    .filter((l) => l.address.toLowerCase() === GOVERNANCE)
    .map((l) => gov.interface.parseLog(l))
    .filter(Boolean);
  log(`${what}: block ${receipt.blockNumber}, events ${events.map((e) => e.name).join(', ') || '(none)'}`);
  return { receipt, events };
}

const named = (events, name) => events.filter((e) => e.name === name);

async function readRegistries(gov, admins) {
  check((await gov.isPermissioned()) === true, 'isPermissioned() is false on a dev network');
  const orgs = await withTimeout(gov.orgs(), 'orgs()');
  check(orgs.length >= admins.length, `orgs() lists ${orgs.length} organisations, ${admins.length} admin keys given`);
  const byAdmin = new Map();
  for (const org of orgs) {
    check(org.weight >= 1n, `organisation ${orgText(org.id)} has weight ${org.weight}`);
    byAdmin.set(org.admin, org);
  }
  const adminOrgs = admins.map((admin, i) => {
    const org = byAdmin.get(admin.address);
    check(org != null, `admin key ${i} (${admin.address}) administers no organisation`);
    check(org.status === 1n, `organisation ${orgText(org.id)} is not active (status ${org.status})`);
    return org;
  });
  // The committee: every active organisation, weighted.
  const committeeWeight = orgs.filter((o) => o.status === 1n).reduce((sum, o) => sum + o.weight, 0n);
  check(orgText(adminOrgs[0].id) === 'org0', `the first admin key is ${orgText(adminOrgs[0].id)}'s, expected org0's`);
  const validators = await withTimeout(gov.validators(), 'validators()');
  check(validators.length >= 1, 'validators() is empty');
  const orgIds = new Set(orgs.map((o) => o.id));
  for (const v of validators) {
    check(orgIds.has(v.org), `validator ${v.publicKey} belongs to unknown org ${v.org}`);
    check(v.publicKey !== ethers.ZeroHash, 'a validator without a public key');
    // Genesis validators dial each other from their configs: the registry's address is
    // optional for them, and `host:port` when set.
    check(v.p2pAddress === '' || v.p2pAddress.includes(':'), `validator p2p address ${v.p2pAddress} is not host:port`);
  }
  log(`permissioned; ${orgs.length} orgs (${orgs.map((o) => orgText(o.id)).join(', ')}); ${validators.length} validators`);
  return { adminOrgs, committeeWeight };
}

async function registerMember(gov, admin0, org0, provider) {
  const fresh = ethers.Wallet.createRandom().connect(provider);
  await expectRevert(gov, gov.getAccount.staticCall(fresh.address), 'NotFound', 'getAccount(fresh) before registration');
  const { events } = await sendAndParse(gov, 'registerAccount(fresh, [member])', () =>
    gov.connect(admin0).registerAccount(fresh.address, ['member']),
  );
  const registered = named(events, 'AccountRegistered');
  check(registered.length === 1, `${registered.length} AccountRegistered events`);
  check(registered[0].args.account === fresh.address && registered[0].args.org === org0.id, 'AccountRegistered args');
  const granted = named(events, 'RoleGranted');
  check(
    granted.length === 1 && granted[0].args.role === 'member' && granted[0].args.by === admin0.address,
    'RoleGranted(member) by org0 admin missing',
  );
  const [org, status, roles] = await gov.getAccount(fresh.address);
  check(org === org0.id && status === 1n, `getAccount(fresh): org ${orgText(org)}, status ${status}`);
  check(roles.length === 1 && roles[0] === 'member', `roles of fresh account: ${roles}`);
  check((await gov.hasRole(fresh.address, 'member')) === true, 'hasRole(member) false');
  check((await gov.hasRole(fresh.address, 'deployer')) === false, 'hasRole(deployer) true');
  // Registering twice is refused by name.
  await expectRevert(gov, gov.connect(admin0).registerAccount.staticCall(fresh.address, ['member']), 'AlreadyExists', 'second registration');
  log(`registered ${fresh.address} in org0 with role member`);
  return fresh;
}

async function permissioning(gov, provider, member, deployer) {
  // A wallet nobody registered: refused at the node's door, nothing pooled.
  const stranger = ethers.Wallet.createRandom().connect(provider);
  const msg = await expectRefused(
    () => stranger.sendTransaction({ to: deployer.address, value: 0n, gasLimit: 21_000n }),
    ['unauthorized', 'not a registered account'],
    'transfer from an unregistered wallet',
  );
  check((await provider.getTransactionCount(stranger.address, 'pending')) === 0, 'the unregistered wallet has a nonce');
  log(`unregistered wallet refused: ${msg}`);
  // …and the module refuses its proposals by name.
  const unauthorized = await expectRevert(
    gov,
    gov.connect(stranger).proposeSetParam.staticCall(TTL_PARAM, 1234n),
    'Unauthorized',
    'proposal by an unregistered wallet',
  );
  check(unauthorized.args.caller === stranger.address, 'Unauthorized names another caller');
  // A member that is not an admin may transact but not propose.
  const notAdmin = await expectRevert(
    gov,
    gov.connect(member).proposeSetParam.staticCall(TTL_PARAM, 1234n),
    'Unauthorized',
    'proposal by a member',
  );
  check(notAdmin.args.reason.includes('admin'), `reason: ${notAdmin.args.reason}`);

  // Creating a contract needs the deployer role: the member is refused, a deployer is not.
  const refused = await expectRefused(
    () => member.sendTransaction({ data: TINY_INIT_CODE, gasLimit: 100_000n }),
    ['unauthorized', 'deployer'],
    'deployment by a non-deployer',
  );
  log(`non-deployer refused: ${refused}`);
  const tx = await withTimeout(deployer.sendTransaction({ data: TINY_INIT_CODE, gasLimit: 100_000n }), 'deployer deploy send');
  const receipt = await withTimeout(tx.wait(), 'deployer deploy receipt');
  check(receipt.status === 1 && receipt.contractAddress, `deployer's deployment failed (status ${receipt.status})`);
  check((await provider.getCode(receipt.contractAddress)) === '0x00', 'deployed code mismatch');
  log(`a deployer deployed ${receipt.contractAddress}`);
}

async function proposeAndVote(gov, admins, adminOrgs, total) {
  const ttl = await gov.proposalTtlBlocks();
  const pct = await gov.approvalPct();
  const wanted = ttl + 1n;
  const [admin0, ...others] = admins;

  const id = await gov.connect(admin0).proposeSetParam.staticCall(TTL_PARAM, wanted);
  check(id === (await gov.proposalCount()), `proposal id ${id} is not proposalCount`);
  const created = await sendAndParse(gov, `proposeSetParam(${TTL_PARAM}, ${wanted})`, () =>
    gov.connect(admin0).proposeSetParam(TTL_PARAM, wanted),
  );
  const [event] = named(created.events, 'ProposalCreated');
  check(event && event.args.id === id, `no ProposalCreated for proposal ${id}`);
  check(event.args.kind === KIND_SET_PARAM && event.args.proposerOrg === adminOrgs[0].id, 'ProposalCreated args');
  check(event.args.target === ethers.keccak256(ethers.toUtf8Bytes(TTL_PARAM)), 'ProposalCreated target is not keccak(key)');
  const [selfVote] = named(created.events, 'Voted');
  check(selfVote && selfVote.args.agree === true && selfVote.args.org === adminOrgs[0].id, "proposer's org did not vote agree");
  let agree = adminOrgs[0].weight;

  // The proposer's organisation already voted.
  const again = await expectRevert(gov, gov.connect(admin0).vote.staticCall(id, true), 'AlreadyVoted', 'second vote by org0');
  check(again.args.id === id && again.args.org === adminOrgs[0].id, 'AlreadyVoted args');

  let executedAt = null;
  for (const [i, admin] of others.entries()) {
    const org = adminOrgs[i + 1];
    const passes = 100n * (agree + org.weight) >= pct * total;
    const { events } = await sendAndParse(gov, `vote(${id}, agree) by ${orgText(org.id)}`, () =>
      gov.connect(admin).vote(id, true),
    );
    agree += org.weight;
    const voted = named(events, 'Voted');
    check(voted.length === 1 && voted[0].args.org === org.id && voted[0].args.agree, `Voted event of ${orgText(org.id)}`);
    const executed = named(events, 'ProposalExecuted');
    check(executed.length === (passes ? 1 : 0), `after ${agree}/${total} agree at ${pct}%: ${executed.length} ProposalExecuted events`);
    const status = (await gov.getProposal(id)).status;
    if (!passes) {
      check(status === STATUS.open, `proposal ${id} status ${status} before the threshold`);
      continue;
    }
    const changed = named(events, 'ParamChanged');
    check(changed.length === 1 && changed[0].args.key === TTL_PARAM && changed[0].args.value === wanted, 'ParamChanged event');
    check(status === STATUS.executed, `proposal ${id} status ${status} after execution`);
    executedAt = i + 1;
    break;
  }
  check(executedAt != null, `proposal ${id} never passed: ${agree} of ${total} agreed, ${pct}% needed`);
  check((await gov.proposalTtlBlocks()) === wanted, 'proposalTtlBlocks() unchanged after execution');
  // A vote on a closed proposal is refused by name.
  const late = admins[executedAt + 1] ?? admin0;
  const closed = await expectRevert(gov, gov.connect(late).vote.staticCall(id, true), 'ProposalNotOpen', 'vote after execution');
  check(closed.args.id === id && closed.args.status === STATUS.executed, `ProposalNotOpen args ${closed.args}`);
  log(`proposal ${id} executed after ${executedAt + 1} of ${admins.length} orgs agreed; ${TTL_PARAM} ${ttl} -> ${wanted}`);
}

async function main() {
  const httpUrl = env('ENTENTE_RPC_HTTP');
  const chainId = BigInt(env('ENTENTE_CHAIN_ID'));
  const adminKeys = env('ENTENTE_ADMIN_KEYS').split(',').map((k) => k.trim()).filter(Boolean);
  const deployerKey = env('ENTENTE_PRIVATE_KEY');
  check(adminKeys.length >= 2, `ENTENTE_ADMIN_KEYS has ${adminKeys.length} keys; at least 2 organisations are needed`);

  // staticNetwork: no endless network detection; cacheTimeout -1: no stale pending nonces.
  const provider = new ethers.JsonRpcProvider(httpUrl, chainId, {
    staticNetwork: true,
    pollingInterval: 250,
    cacheTimeout: -1,
  });
  let reported;
  try {
    reported = BigInt(await withTimeout(provider.send('eth_chainId', []), 'eth_chainId'));
  } catch (err) {
    fail(`cannot get eth_chainId from ${httpUrl}: ${err.shortMessage ?? err.message}`);
  }
  check(reported === chainId, `eth_chainId is ${reported}, expected ${chainId}`);
  log(`connected to ${httpUrl}, chain id ${reported}`);

  const gov = new ethers.Contract(GOVERNANCE, GOVERNANCE_ABI, provider);
  const admins = adminKeys.map((key) => new ethers.Wallet(key, provider));
  const deployer = new ethers.Wallet(deployerKey, provider);

  const { adminOrgs, committeeWeight } = await readRegistries(gov, admins);
  const member = await registerMember(gov, admins[0], adminOrgs[0], provider);
  await permissioning(gov, provider, member, deployer);
  await proposeAndVote(gov, admins, adminOrgs, committeeWeight);
  log('ALL OK');
}

main().then(
  () => process.exit(0),
  (err) => {
    if (err instanceof CheckError) fail(err.message);
    // A governance error ethers decoded with the ABI (its shortMessage may still say "unknown").
    if (err?.revert) fail(`reverted with ${err.revert.name}(${err.revert.args.join(', ')}) [${err.code}]`);
    if (err?.shortMessage) fail(`${err.shortMessage} [${err.code}]`); // ethers errors
    fail(err?.stack ?? String(err));
  },
);
