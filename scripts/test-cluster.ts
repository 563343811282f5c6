// npm run test:cluster: builds or locates the cluster binaries, starts ONE cluster (GPU node pool, ML CRDs,
// the real ML operators, the workload simulator for the kinds no operator serves here) shared by every cluster
// test file, runs them with node:test one file at a time, and always tears the cluster down. Extra arguments are
// test files (default: test/cluster/**/*.test.ts and test/**/*.cluster.test.ts). Every operator runs unless
// `--operators=jobset,lws,...|none` (or GANTRY_OPERATORS) says otherwise; the tests of a kind whose operator is
// left out fail with a message (the simulator does not play the operators' kinds).
import { spawn, spawnSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import {
  startClusterState,
  stateFile,
  stopClusterState,
  type ClusterState,
} from '../test/cluster/harness/cluster';
import { parseOperators } from '../test/cluster/harness/operators';
import { repoRoot } from '../test/cluster/harness/paths';

function findTests(dir: string, all: boolean, out: string[] = []): string[] {
  for (const name of readdirSync(dir).sort()) {
    if (name === 'node_modules' || name.startsWith('.')) continue;
    const p = join(dir, name);
    if (statSync(p).isDirectory()) findTests(p, all || p === join(repoRoot, 'test/cluster'), out);
    else if (all ? name.endsWith('.test.ts') : name.endsWith('.cluster.test.ts')) out.push(p);
  }
  return out;
}

async function main(): Promise<number> {
  const argv = process.argv.slice(2);
  const opArg = argv.find((a) => a === '--operators' || a.startsWith('--operators='));
  const operators = parseOperators(
    opArg ? (opArg.includes('=') ? opArg.split('=')[1] : 'all') : (process.env.GANTRY_OPERATORS ?? 'all'),
  );
  const args = argv.filter((a) => a !== opArg);
  const files = args.length > 0 ? args : [...new Set(findTests(join(repoRoot, 'test'), false))];
  if (files.length === 0) {
    console.error('no cluster test files found');
    return 1;
  }
  if (!process.env.GANTRY_SKIP_BUILD) {
    const b = spawnSync('bash', [join(repoRoot, 'scripts/cluster/build.sh')], {
      stdio: ['ignore', 'ignore', 'inherit'],
    });
    if (b.status !== 0) return b.status ?? 1;
    if (operators.length > 0) {
      const o = spawnSync('bash', [join(repoRoot, 'scripts/cluster/operators.sh'), ...operators], {
        stdio: ['ignore', 'inherit', 'inherit'],
      });
      if (o.status !== 0) return o.status ?? 1;
    }
  }
  let state: ClusterState | undefined;
  const teardown = async (): Promise<void> => {
    const s = state;
    state = undefined;
    if (s) await stopClusterState(s);
  };
  for (const sig of ['SIGINT', 'SIGTERM'] as const) {
    process.on(sig, () => {
      void teardown().finally(() => process.exit(130));
    });
  }
  try {
    const t0 = Date.now();
    state = await startClusterState({
      operators,
      nodeLeaseSeconds: 10,
      log: (m) => console.error(`[test:cluster] ${m}`),
    });
    const startSecs = (Date.now() - t0) / 1000;
    const t1 = Date.now();
    const code = await new Promise<number>((resolve) => {
      const child = spawn(
        process.execPath,
        ['--import', 'tsx', '--test', '--test-concurrency=1', '--test-reporter=spec', ...files],
        {
          stdio: 'inherit',
          cwd: repoRoot,
          env: { ...process.env, GANTRY_CLUSTER_STATE: stateFile(state as ClusterState) },
        },
      );
      child.on('exit', (c, s) => resolve(c ?? (s ? 1 : 0)));
    });
    console.error(
      `[test:cluster] ${files.map((f) => relative(repoRoot, f)).length} files; cluster start ${startSecs.toFixed(1)}s, tests ${((Date.now() - t1) / 1000).toFixed(1)}s`,
    );
    return code;
  } finally {
    await teardown();
  }
}

main().then(
  (code) => process.exit(code),
  (e: unknown) => {
    console.error(`[test:cluster] ${(e as Error).message}`);
    process.exit(1);
  },
);
