// ethers v6 against a live node: compile + deploy an OpenZeppelin ERC20, transfer,
// query logs, decode a custom error, subscribe over WebSocket, and send plain
// EIP-1559 (type 2) and legacy (type 0) value transfers.
//
// Env: ENTENTE_RPC_HTTP, ENTENTE_RPC_WS, ENTENTE_CHAIN_ID, ENTENTE_PRIVATE_KEY,
//      ENTENTE_PRIVATE_KEY_2. Exits 0 on success, 1 with a message otherwise.

import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import solc from 'solc';
import { ethers } from 'ethers';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const TOTAL_TIMEOUT_MS = 55_000; // whole script; the harness allows ~60 s
const STEP_TIMEOUT_MS = 20_000; // any single wait (receipt, event, RPC call)

const t0 = Date.now();
const log = (msg) => console.log(`[ethers +${((Date.now() - t0) / 1000).toFixed(1)}s] ${msg}`);

function fail(msg) {
  console.error(`[ethers] FAIL: ${msg}`);
  process.exit(1);
}

// Never hang: a hard deadline for the whole script, whatever is pending.
setTimeout(() => fail(`timed out after ${TOTAL_TIMEOUT_MS / 1000}s`), TOTAL_TIMEOUT_MS);

function env(name) {
  const v = process.env[name];
  if (!v) fail(`environment variable ${name} is not set`);
  return v;
}

// Expected failures (checks, timeouts) are reported by message only; anything else
// keeps its stack trace.
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

// ---------------------------------------------------------------------------
// Solidity: an OZ 5 ERC20 plus a function that reverts with a custom error.
// `attempts` lets us check that a reverted transaction left no state change.
const SOURCE = `// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";

contract EntenteToken is ERC20 {
    error NotAllowed(address who, uint256 code);

    uint256 public attempts;

    constructor(uint256 supply) ERC20("Entente Test Token", "ETT") {
        _mint(msg.sender, supply);
    }

    // code == 0 succeeds; anything else reverts with NotAllowed(caller, code).
    function guarded(uint256 code) external {
        attempts += 1;
        if (code != 0) revert NotAllowed(msg.sender, code);
    }
}
`;

function compile() {
  const input = {
    language: 'Solidity',
    sources: { 'EntenteToken.sol': { content: SOURCE } },
    settings: {
      evmVersion: 'cancun',
      optimizer: { enabled: true, runs: 200 },
      outputSelection: { '*': { '*': ['abi', 'evm.bytecode.object'] } },
    },
  };
  // Resolve "@openzeppelin/contracts/..." (and any other package import) from node_modules.
  const findImports = (importPath) => {
    const file = path.join(HERE, 'node_modules', importPath);
    if (!file.startsWith(path.join(HERE, 'node_modules') + path.sep)) return { error: `bad import ${importPath}` };
    try {
      return { contents: fs.readFileSync(file, 'utf8') };
    } catch {
      return { error: `import not found: ${importPath} (looked in ${file})` };
    }
  };
  const out = JSON.parse(solc.compile(JSON.stringify(input), { import: findImports }));
  const errors = (out.errors ?? []).filter((e) => e.severity === 'error');
  if (errors.length) throw new Error(`solc errors:\n${errors.map((e) => e.formattedMessage).join('\n')}`);
  const c = out.contracts['EntenteToken.sol'].EntenteToken;
  return { abi: c.abi, bytecode: '0x' + c.evm.bytecode.object };
}

const min = (a, b) => (a < b ? a : b);

// balance_after must equal balance_before - value - gasUsed * effectiveGasPrice.
function expectedAfter(before, value, receipt) {
  return before - value - receipt.gasUsed * receipt.gasPrice;
}

// Wait until `n` eth_subscribe calls on a WebSocketProvider have been answered, so
// events we trigger afterwards cannot race the subscription set-up (ethers starts
// subscriptions in the background and `on()` does not wait for the server's reply).
function subscriptionsConfirmed(wsProvider, n) {
  const pending = new Set();
  let confirmed = 0;
  return new Promise((resolve, reject) => {
    const onDebug = (ev) => {
      if (ev.action === 'sendRpcPayload') {
        for (const p of [ev.payload].flat()) if (p.method === 'eth_subscribe') pending.add(p.id);
      } else if (ev.action === 'receiveRpcResult') {
        for (const r of [ev.result].flat()) {
          if (!pending.has(r.id)) continue;
          if (r.error) return reject(new Error(`eth_subscribe failed: ${JSON.stringify(r.error)}`));
          confirmed += 1;
        }
        if (confirmed >= n) {
          wsProvider.off('debug', onDebug);
          resolve();
        }
      }
    };
    wsProvider.on('debug', onDebug);
  });
}

async function main() {
  const httpUrl = env('ENTENTE_RPC_HTTP');
  const wsUrl = env('ENTENTE_RPC_WS');
  const chainId = BigInt(env('ENTENTE_CHAIN_ID'));
  const key1 = env('ENTENTE_PRIVATE_KEY');
  const key2 = env('ENTENTE_PRIVATE_KEY_2');

  // staticNetwork: skip ethers' endless "detect network" retry loop, so a dead node
  // fails immediately instead of hanging; we verify eth_chainId ourselves below.
  // cacheTimeout -1: ethers otherwise reuses identical RPC answers for 250 ms, which
  // hands out a stale "pending" nonce when blocks are mined instantly (anvil).
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

  const gasPrice = BigInt(await withTimeout(provider.send('eth_gasPrice', []), 'eth_gasPrice'));
  const latest = await withTimeout(provider.getBlock('latest'), 'latest block');
  check(latest != null, 'latest block is null');
  log(`block ${latest.number}, gasPrice ${gasPrice}, baseFee ${latest.baseFeePerGas}`);

  const w1 = new ethers.Wallet(key1, provider);
  const w2 = new ethers.Wallet(key2, provider);
  check(w1.address !== w2.address, 'ENTENTE_PRIVATE_KEY and ENTENTE_PRIVATE_KEY_2 are the same account');

  // --- compile + deploy --------------------------------------------------
  const { abi, bytecode } = compile();
  log(`compiled EntenteToken (${(bytecode.length - 2) / 2} bytes)`);

  const SUPPLY = ethers.parseUnits('1000000', 18);
  const factory = new ethers.ContractFactory(abi, bytecode, w1);
  const token = await withTimeout(factory.deploy(SUPPLY), 'deploy send');
  const deployTx = token.deploymentTransaction();
  const deployRcpt = await withTimeout(deployTx.wait(), 'deploy receipt');
  check(deployRcpt.status === 1, `deploy receipt status ${deployRcpt.status}`);
  const tokenAddr = await token.getAddress();
  check(deployRcpt.contractAddress === tokenAddr, `receipt contractAddress ${deployRcpt.contractAddress} != ${tokenAddr}`);
  const code = await withTimeout(provider.getCode(tokenAddr), 'eth_getCode');
  check(code.length > 2, 'no code at deployed address');
  log(`deployed at ${tokenAddr} in block ${deployRcpt.blockNumber} (tx type ${deployTx.type})`);

  check((await token.totalSupply()) === SUPPLY, 'totalSupply mismatch');
  check((await token.balanceOf(w1.address)) === SUPPLY, 'deployer balance != supply');
  check((await token.symbol()) === 'ETT', 'symbol mismatch');

  // --- ERC20 transfer + balances -----------------------------------------
  const AMOUNT = ethers.parseUnits('1234.5', 18);
  const bal2Before = await token.balanceOf(w2.address);
  const trTx = await withTimeout(token.transfer(w2.address, AMOUNT), 'transfer send');
  const trRcpt = await withTimeout(trTx.wait(), 'transfer receipt');
  check(trRcpt.status === 1, `transfer status ${trRcpt.status}`);
  check((await token.balanceOf(w1.address)) === SUPPLY - AMOUNT, 'sender token balance wrong after transfer');
  check((await token.balanceOf(w2.address)) === bal2Before + AMOUNT, 'recipient token balance wrong after transfer');
  log(`transferred ${ethers.formatUnits(AMOUNT, 18)} ETT to ${w2.address} (block ${trRcpt.blockNumber})`);

  // --- Transfer logs: contract.queryFilter and raw provider.getLogs ------
  const from = deployRcpt.blockNumber;
  const to = trRcpt.blockNumber;
  const viaContract = await withTimeout(
    token.queryFilter(token.filters.Transfer(w1.address, w2.address), from, to),
    'queryFilter',
  );
  check(viaContract.length === 1, `queryFilter(Transfer w1->w2) returned ${viaContract.length} logs, expected 1`);
  const ev = viaContract[0];
  check(ev.eventName === 'Transfer', `event name ${ev.eventName}`);
  check(ev.args.from === w1.address && ev.args.to === w2.address && ev.args.value === AMOUNT, 'queryFilter args mismatch');
  check(ev.transactionHash === trRcpt.hash, 'queryFilter log has wrong transactionHash');

  // Mint log (from = zero address) through the same filter API.
  const mints = await withTimeout(token.queryFilter(token.filters.Transfer(ethers.ZeroAddress), from, from), 'mint queryFilter');
  check(mints.length === 1 && mints[0].args.value === SUPPLY && mints[0].args.to === w1.address, 'mint Transfer log missing or wrong');

  const transferTopic = token.interface.getEvent('Transfer').topicHash;
  const raw = await withTimeout(
    provider.getLogs({
      address: tokenAddr,
      topics: [transferTopic, null, ethers.zeroPadValue(w2.address, 32)],
      fromBlock: from,
      toBlock: to,
    }),
    'getLogs',
  );
  check(raw.length === 1, `getLogs(topics: Transfer, *, w2) returned ${raw.length} logs, expected 1`);
  const parsed = token.interface.parseLog(raw[0]);
  check(parsed.name === 'Transfer', 'getLogs log is not a Transfer');
  check(parsed.args.from === w1.address && parsed.args.to === w2.address && parsed.args.value === AMOUNT, 'getLogs args mismatch');
  check(raw[0].blockNumber === to && raw[0].address === tokenAddr, 'getLogs blockNumber/address mismatch');
  // Topic filter with no match must return nothing (address w2 never sends).
  const none = await withTimeout(
    provider.getLogs({ address: tokenAddr, topics: [transferTopic, ethers.zeroPadValue(w2.address, 32)], fromBlock: from, toBlock: to }),
    'getLogs (no match)',
  );
  check(none.length === 0, `getLogs with non-matching topic returned ${none.length} logs`);
  log('Transfer logs OK (queryFilter + getLogs with topics)');

  // --- custom error: staticCall, estimateGas, and a mined failing tx -----
  const expectNotAllowed = (err, codeArg, via) => {
    // ethers needs the node to put the revert bytes in the JSON-RPC error's `data`.
    const data = err?.data ?? err?.info?.error?.data;
    check(typeof data === 'string' && data.startsWith('0x') && data.length > 10, `${via}: no revert data in error (${err?.shortMessage ?? err})`);
    const decoded = token.interface.parseError(data);
    check(decoded != null, `${via}: could not decode revert data ${data}`);
    check(decoded.name === 'NotAllowed', `${via}: decoded error ${decoded.name}, expected NotAllowed`);
    check(decoded.args.who === w1.address && decoded.args.code === codeArg, `${via}: NotAllowed args ${decoded.args}`);
    return `${decoded.name}(${decoded.args.who}, ${decoded.args.code})`;
  };

  await withTimeout(token.guarded.staticCall(0), 'guarded(0) staticCall'); // must not revert
  try {
    await withTimeout(token.guarded.staticCall(42), 'staticCall');
    fail('guarded(42) staticCall did not revert');
  } catch (err) {
    if (err.code !== 'CALL_EXCEPTION') throw err;
    log(`staticCall reverted with ${expectNotAllowed(err, 42n, 'staticCall')}`);
  }
  try {
    await withTimeout(token.guarded.estimateGas(43), 'estimateGas');
    fail('guarded(43) estimateGas did not revert');
  } catch (err) {
    if (err.code !== 'CALL_EXCEPTION') throw err;
    log(`estimateGas reverted with ${expectNotAllowed(err, 43n, 'estimateGas')}`);
  }
  // A fixed gasLimit skips ethers' pre-flight estimate so the failing tx is really mined.
  const attemptsBefore = await token.attempts();
  const badTx = await withTimeout(token.guarded(44, { gasLimit: 200_000 }), 'failing tx send');
  try {
    await withTimeout(badTx.wait(), 'failing tx receipt');
    fail('guarded(44) transaction did not fail');
  } catch (err) {
    if (err.code !== 'CALL_EXCEPTION') throw err;
    check(err.receipt && err.receipt.status === 0, `failing tx receipt status ${err.receipt?.status}`);
  }
  check((await token.attempts()) === attemptsBefore, 'reverted tx changed contract state');
  const okTx = await withTimeout(token.guarded(0), 'guarded(0) send');
  check((await withTimeout(okTx.wait(), 'guarded(0) receipt')).status === 1, 'guarded(0) tx failed');
  check((await token.attempts()) === attemptsBefore + 1n, 'successful guarded(0) did not change state');
  log('mined failing tx has status 0 and left state unchanged; successful call changed it');

  // --- WebSocket: new blocks + Transfer events ---------------------------
  const ws = new ethers.WebSocketProvider(wsUrl, chainId);
  // ethers installs no error handler on the socket: without this a refused connection
  // would crash the process with an unhelpful stack trace.
  ws.websocket.onerror = (e) => fail(`WebSocket error on ${wsUrl}: ${e?.message ?? e}`);
  try {
    const wsChain = BigInt(await withTimeout(ws.send('eth_chainId', []), 'eth_chainId over WebSocket'));
    check(wsChain === chainId, `eth_chainId over WebSocket is ${wsChain}`);

    const ready = subscriptionsConfirmed(ws, 2);
    let gotBlock = null;
    const blockSeen = new Promise((resolve) => {
      ws.on('block', (n) => {
        gotBlock = n;
        resolve(n);
      });
    });
    const wsToken = new ethers.Contract(tokenAddr, abi, ws);
    const WS_AMOUNT = 777n;
    const eventSeen = new Promise((resolve) => {
      // With a topic filter ethers passes only the payload (no positional args), so
      // read the decoded values from payload.args. The filter itself (indexed from/to)
      // is applied by the node in its eth_subscribe("logs") handling.
      wsToken.on(wsToken.filters.Transfer(w1.address, w2.address), (...params) => {
        const payload = params[params.length - 1];
        const [fromA, toA, value] = payload.args;
        if (value === WS_AMOUNT) resolve({ fromA, toA, value, log: payload.log });
      });
    });
    await withTimeout(ready, 'eth_subscribe confirmations (newHeads + logs)');
    log('subscribed over WebSocket (newHeads + Transfer logs)');

    const wsTx = await withTimeout(token.transfer(w2.address, WS_AMOUNT), 'ws-triggering transfer send');
    const wsRcpt = await withTimeout(wsTx.wait(), 'ws-triggering transfer receipt');
    const got = await withTimeout(eventSeen, 'Transfer event over WebSocket');
    check(got.fromA === w1.address && got.toA === w2.address, 'WebSocket Transfer event args mismatch');
    check(got.log.transactionHash === wsRcpt.hash, 'WebSocket Transfer event has wrong transactionHash');
    await withTimeout(blockSeen, 'new block over WebSocket');
    check(typeof gotBlock === 'number' && gotBlock > 0, `bad block number from newHeads: ${gotBlock}`);
    log(`WebSocket delivered block ${gotBlock} and the Transfer event (block ${got.log.blockNumber})`);
  } finally {
    await ws.destroy();
  }

  // --- plain value transfers: EIP-1559 (type 2) and legacy (type 0) ------
  // Fresh recipients so their balance must equal exactly the value sent.
  const VALUE = ethers.parseEther('0.0123');
  // ethers prices a legacy tx from eth_gasPrice and, when the base fee is 0, signs
  // type 2 with zero fees: on such a node both transfers must cost exactly VALUE.
  const zeroFee = gasPrice === 0n && !latest.baseFeePerGas;
  for (const [type, wallet] of [[2, w1], [0, w2]]) {
    const dest = ethers.Wallet.createRandom().address;
    const before = await provider.getBalance(wallet.address);
    const tx = await withTimeout(wallet.sendTransaction({ to: dest, value: VALUE, type }), `type ${type} send`);
    const rcpt = await withTimeout(tx.wait(), `type ${type} receipt`);
    check(rcpt.status === 1, `type ${type} transfer status ${rcpt.status}`);
    const mined = await withTimeout(provider.getTransaction(tx.hash), `type ${type} getTransaction`);
    check(mined.type === type, `mined tx type ${mined.type}, expected ${type}`);
    check(mined.value === VALUE && mined.to === dest && mined.from === wallet.address, `type ${type} tx fields mismatch`);
    check(rcpt.gasUsed === 21000n, `type ${type} plain transfer used ${rcpt.gasUsed} gas, expected 21000`);
    // effectiveGasPrice must follow from the tx's own fee fields (EIP-1559 rules).
    const block = await withTimeout(provider.getBlock(rcpt.blockNumber), `type ${type} block`);
    const wantPrice = type === 0 ? mined.gasPrice : min(mined.maxFeePerGas, (block.baseFeePerGas ?? 0n) + mined.maxPriorityFeePerGas);
    check(rcpt.gasPrice === wantPrice, `type ${type}: effectiveGasPrice ${rcpt.gasPrice}, expected ${wantPrice}`);
    check(block.transactions.includes(tx.hash), `type ${type}: block ${rcpt.blockNumber} does not list the tx`);
    const after = await provider.getBalance(wallet.address);
    const want = expectedAfter(before, VALUE, rcpt);
    check(after === want, `type ${type}: sender balance ${after}, expected ${want} (gasUsed ${rcpt.gasUsed} x price ${rcpt.gasPrice})`);
    check((await provider.getBalance(dest)) === VALUE, `type ${type}: recipient balance != value`);
    // On a zero-gas-price node the transfer must cost the sender exactly the value.
    if (zeroFee) check(rcpt.gasPrice === 0n && before - after === VALUE, `type ${type}: zero-fee node charged ${rcpt.gasPrice}/gas`);
    log(`type ${type} transfer OK: -${ethers.formatEther(before - after)} ETH (effectiveGasPrice ${rcpt.gasPrice})`);
  }

  log('ALL OK');
}

main().then(
  () => process.exit(0),
  (err) => {
    if (err instanceof CheckError) fail(err.message);
    if (err?.shortMessage) fail(`${err.shortMessage} [${err.code}]`); // ethers errors
    fail(err?.stack ?? String(err));
  },
);
