// ethers v6 against a live permissioned dev network: a native asset used exactly like an
// ERC-20 token. Creates an asset through the registry at 0x…e17e03, then drives it with
// OpenZeppelin's own ERC20 ABI (build/contracts/ERC20.json): metadata, transfer with its
// Transfer event, an ERC-6093 error decoded by that ABI, approve/transferFrom, and a
// Solidity contract (compiled here with solc-js) that pulls the asset with SafeERC20.
//
// Env: ENTENTE_RPC_HTTP, ENTENTE_CHAIN_ID,
//      ENTENTE_PRIVATE_KEY   a dev account with the roles asset_issuer and deployer,
//      ENTENTE_PRIVATE_KEY_2 another registered dev account.
// Exits 0 printing ALL OK, or 1 with a FAIL line.

import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import solc from 'solc';
import { ethers } from 'ethers';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const TOTAL_TIMEOUT_MS = 55_000; // whole script; the harness allows ~60 s
const STEP_TIMEOUT_MS = 20_000; // any single wait

const REGISTRY = '0x0000000000000000000000000000000000e17e03';
const REGISTRY_ABI = [
  'function createAsset(string name, string symbol, uint8 decimals) returns (address)',
  'function assetCount() view returns (uint64)',
  'event AssetCreated(address indexed asset, address indexed issuer, bytes32 indexed issuerOrg, string symbol)',
];
// What a native asset adds to ERC-20.
const ISSUE_ABI = ['function issue(address to, uint256 value) returns (bool)'];
const ERC20_ABI = JSON.parse(
  fs.readFileSync(path.join(HERE, 'node_modules/@openzeppelin/contracts/build/contracts/ERC20.json'), 'utf8'),
).abi;

const VAULT_SOURCE = `
// SPDX-License-Identifier: MIT
pragma solidity ^0.8.20;
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";

contract Vault {
    using SafeERC20 for IERC20;
    mapping(address => uint256) public deposited;

    function deposit(IERC20 token, uint256 amount) external {
        token.safeTransferFrom(msg.sender, address(this), amount);
        deposited[msg.sender] += amount;
    }

    function held(IERC20 token) external view returns (uint256) {
        return token.balanceOf(address(this));
    }
}
`;

const t0 = Date.now();
const log = (msg) => console.log(`[assets +${((Date.now() - t0) / 1000).toFixed(1)}s] ${msg}`);

function fail(msg) {
  console.error(`[assets] FAIL: ${msg}`);
  process.exit(1);
}

setTimeout(() => fail(`timed out after ${TOTAL_TIMEOUT_MS / 1000}s`), TOTAL_TIMEOUT_MS);

function env(name) {
  const v = process.env[name];
  if (!v) fail(`environment variable ${name} is not set`);
  return v;
}

function check(cond, msg) {
  if (!cond) throw new Error(`check failed: ${msg}`);
}

function withTimeout(promise, what, ms = STEP_TIMEOUT_MS) {
  let timer;
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timeout after ${ms / 1000}s waiting for ${what}`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

async function mined(txPromise, what) {
  const tx = await withTimeout(txPromise, `${what} (send)`);
  const receipt = await withTimeout(tx.wait(), `${what} (receipt)`);
  check(receipt.status === 1, `${what} failed`);
  return receipt;
}

function compileVault() {
  const input = {
    language: 'Solidity',
    sources: { 'Vault.sol': { content: VAULT_SOURCE } },
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
  const c = out.contracts['Vault.sol'].Vault;
  return { abi: c.abi, bytecode: '0x' + c.evm.bytecode.object };
}

async function main() {
  const provider = new ethers.JsonRpcProvider(env('ENTENTE_RPC_HTTP'), Number(env('ENTENTE_CHAIN_ID')), {
    staticNetwork: true,
    pollingInterval: 200,
  });
  const issuer = new ethers.Wallet(env('ENTENTE_PRIVATE_KEY'), provider);
  const holder = new ethers.Wallet(env('ENTENTE_PRIVATE_KEY_2'), provider);
  const issuerNonce = new ethers.NonceManager(issuer);

  // --- create through the registry; the address comes from the event ---
  const registry = new ethers.Contract(REGISTRY, REGISTRY_ABI, issuerNonce);
  const symbol = `K${Date.now() % 100000}`;
  const created = await mined(registry.createAsset('Kiwi points', symbol, 2), 'createAsset');
  const event = created.logs.map((l) => registry.interface.parseLog(l)).find((e) => e?.name === 'AssetCreated');
  check(event != null, 'no AssetCreated event');
  const assetAddress = event.args.asset;
  check(event.args.issuer === issuer.address, 'the issuer is the creator');
  log(`created ${symbol} at ${assetAddress}`);

  // --- the standard ERC-20 ABI, unchanged ---
  const token = new ethers.Contract(assetAddress, ERC20_ABI, issuerNonce);
  check((await token.name()) === 'Kiwi points', 'name');
  check((await token.symbol()) === symbol, 'symbol');
  check((await token.decimals()) === 2n, 'decimals');
  check((await token.totalSupply()) === 0n, 'supply starts at 0');
  const issuing = new ethers.Contract(assetAddress, ISSUE_ABI, issuerNonce);
  await mined(issuing.issue(issuer.address, 100000n), 'issue');
  check((await token.totalSupply()) === 100000n, 'supply after issue');

  const sent = await mined(token.transfer(holder.address, 2500n), 'transfer');
  const transfer = sent.logs.map((l) => token.interface.parseLog(l)).find((e) => e?.name === 'Transfer');
  check(transfer && transfer.args.from === issuer.address && transfer.args.to === holder.address, 'Transfer event');
  check(transfer.args.value === 2500n, 'Transfer value');
  check((await token.balanceOf(holder.address)) === 2500n, 'holder balance');
  const logs = await token.queryFilter(token.filters.Transfer(issuer.address), created.blockNumber);
  check(logs.length === 1, `eth_getLogs finds the transfer (${logs.length})`);
  log('ERC-20 metadata, issue, transfer, event and logs as with any token');

  // --- an ERC-6093 error, decoded by OpenZeppelin's ABI ---
  const asHolder = token.connect(holder);
  try {
    await withTimeout(asHolder.transfer.staticCall(issuer.address, 2501n), 'over-balance transfer');
    throw new Error('check failed: a transfer over the balance did not revert');
  } catch (err) {
    if (err.message?.startsWith('check failed')) throw err;
    const data = err?.data ?? err?.info?.error?.data;
    const decoded = token.interface.parseError(data);
    check(decoded?.name === 'ERC20InsufficientBalance', `reverted with ${decoded?.name ?? data}`);
    check(decoded.args.balance === 2500n && decoded.args.needed === 2501n, 'error arguments');
  }
  log('over-balance transfer reverts with ERC20InsufficientBalance');

  // --- approve / transferFrom ---
  await mined(asHolder.approve(issuer.address, 700n), 'approve');
  check((await token.allowance(holder.address, issuer.address)) === 700n, 'allowance');
  await mined(token.transferFrom(holder.address, issuer.address, 300n), 'transferFrom');
  check((await token.allowance(holder.address, issuer.address)) === 400n, 'allowance after transferFrom');
  check((await token.balanceOf(holder.address)) === 2200n, 'holder balance after transferFrom');

  // --- a Solidity contract using SafeERC20 on the asset ---
  const { abi, bytecode } = compileVault();
  const factory = new ethers.ContractFactory(abi, bytecode, issuerNonce);
  const vault = await withTimeout(factory.deploy(), 'deploy Vault');
  await withTimeout(vault.waitForDeployment(), 'Vault deployed');
  const vaultAddress = await vault.getAddress();
  await mined(token.approve(vaultAddress, 5000n), 'approve the vault');
  await mined(vault.deposit(assetAddress, 5000n), 'vault deposit');
  check((await vault.held(assetAddress)) === 5000n, 'the vault reads its balance through the asset');
  check((await token.balanceOf(vaultAddress)) === 5000n, 'the asset holds the vault balance');
  check((await vault.deposited(issuer.address)) === 5000n, 'the vault booked the deposit');
  log('a SafeERC20 vault pulls the asset and reads it back');
  console.log('ALL OK');
}

main().then(
  () => process.exit(0),
  (err) => fail(err?.stack ?? String(err)),
);
