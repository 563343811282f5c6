// npm run cluster:up / cluster:down: a long-lived local cluster for manual use and the demo.
// up starts it detached and records it in ~/.cache/gantry/run/cluster.json; down stops it by the PIDs there,
// and every cluster a bench left running on purpose (`bench:sidebar --keep` records it in run/kept/).
import { existsSync, readdirSync } from 'node:fs';
import { copyFile, mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import {
  readState,
  startClusterState,
  stateFile,
  stopClusterState,
} from '../../test/cluster/harness/cluster';
import { keptClustersDir, runStateDir } from '../../test/cluster/harness/paths';
import { parseOperators } from '../../test/cluster/harness/operators';
import { isOurProcess } from '../../test/cluster/harness/procs';

const argv = process.argv.slice(2);
/** `--name N`: a second, independent cluster recorded in run/cluster-N.json. */
const ni = argv.indexOf('--name');
const clusterName = ni >= 0 ? argv[ni + 1] : undefined;
if (ni >= 0 && !/^[a-z0-9-]+$/.test(clusterName ?? '')) usage();
const pointer = join(runStateDir(), clusterName ? `cluster-${clusterName}.json` : 'cluster.json');
/** Pointers to clusters kept by benches (`bench:sidebar --keep`), one JSON state file each. */
const keptDir = keptClustersDir();

function usage(): never {
  console.error(
    'usage: cli.ts up [--version 1.36.3] [--operators all|none|jobset,lws,...] [--no-simulator] [--no-demo-logs] [--no-crds] [--no-nodes] [--profiling] [--name N] | down [--dry-run] [--name N] | status [--name N]',
  );
  process.exit(2);
}

/**
 * The recorded cluster's current state: tests that restart kube-apiserver (stopApiserver/startApiserver) update
 * the run folder's state file, not the copy here, so the copy's PIDs go stale.
 */
function recorded(): ReturnType<typeof readState> {
  const copy = readState(pointer);
  return existsSync(stateFile(copy)) ? readState(stateFile(copy)) : copy;
}

function running(): boolean {
  if (!existsSync(pointer)) return false;
  const s = recorded();
  const api = s.components['kube-apiserver'];
  const etcd = s.components.etcd;
  return !!api && !!etcd && isOurProcess(api.pid, api.bin) && isOurProcess(etcd.pid, etcd.bin);
}

function printHowTo(): void {
  const s = recorded();
  console.log(`kubeconfig: ${s.kubeconfigPath}`);
  console.log(`server:     ${s.server} (Kubernetes ${s.version})`);
  console.log(`state:      ${pointer}`);
  console.log(`logs:       ${join(s.runDir, 'logs')}`);
  console.log('');
  console.log(`  export KUBECONFIG=${s.kubeconfigPath}`);
  console.log(`  export GANTRY_CLUSTER_STATE=${stateFile(s)}`);
}

async function main(): Promise<void> {
  const [cmd, ...rest] = argv;
  if (cmd === 'up') {
    if (running()) {
      console.log('cluster already running');
      printHowTo();
      return;
    }
    let version: string | undefined;
    const flag = (f: string): boolean => rest.includes(f);
    const vi = rest.indexOf('--version');
    if (vi >= 0) version = rest[vi + 1] ?? usage();
    const oi = rest.indexOf('--operators');
    // The real operators by default (the simulator no longer plays their kinds); `--operators none` leaves them out.
    const opSpec = oi >= 0 && rest[oi + 1] && !rest[oi + 1].startsWith('--') ? rest[oi + 1] : 'all';
    const state = await startClusterState({
      version,
      operators: parseOperators(opSpec),
      nodes: !flag('--no-nodes'),
      crds: !flag('--no-crds'),
      simulator: !flag('--no-simulator'),
      reapWithOwner: false,
      demoLogs: !flag('--no-demo-logs'),
      profiling: flag('--profiling'),
      log: (m) => console.error(`[cluster:up] ${m}`),
    });
    await mkdir(runStateDir(), { recursive: true });
    await copyFile(stateFile(state), pointer);
    printHowTo();
  } else if (cmd === 'down') {
    // Every cluster Gantry started and left running: the cluster:up one and the ones benches kept.
    const dry = rest.includes('--dry-run');
    const kept = clusterName
      ? []
      : existsSync(keptDir)
        ? readdirSync(keptDir)
            .filter((f) => f.endsWith('.json'))
            .map((f) => join(keptDir, f))
        : [];
    const targets = [...(existsSync(pointer) ? [pointer] : []), ...kept];
    if (targets.length === 0) {
      console.log(`no cluster recorded in ${pointer} or ${keptDir}`);
      return;
    }
    for (const file of targets) {
      let state;
      try {
        // The copy points at the run dir, whose state file is the live one (an apiserver restart updates it).
        const copy = readState(file);
        state = existsSync(stateFile(copy)) ? readState(stateFile(copy)) : copy;
      } catch {
        console.log(`${file}: unreadable, removed`);
        if (!dry) await rm(file, { force: true });
        continue;
      }
      if (dry) {
        console.log(`would stop ${state.server} (${file}, run dir ${state.runDir})`);
        continue;
      }
      await stopClusterState(state);
      await rm(file, { force: true });
      console.log(`stopped cluster (${state.server}) and removed ${state.runDir}`);
    }
  } else if (cmd === 'status') {
    if (!running()) {
      console.log('no cluster running');
      process.exitCode = 1;
      return;
    }
    printHowTo();
  } else {
    usage();
  }
}

main().catch((e: unknown) => {
  console.error((e as Error).message);
  process.exit(1);
});
