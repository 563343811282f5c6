// CLI: node --import tsx test/cluster/simulator/main.ts --kubeconfig FILE [--demo-logs POD_LOGS_DIR]
//      [--skip PLURAL,...]   (kinds a real operator serves in this cluster)
// Runs the workload simulator until SIGINT/SIGTERM.
import { startSimulator } from './index';

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const i = args.indexOf('--kubeconfig');
  const kubeconfig = i >= 0 ? args[i + 1] : process.env.KUBECONFIG;
  if (!kubeconfig) {
    console.error('usage: main.ts --kubeconfig FILE');
    process.exit(2);
  }
  const d = args.indexOf('--demo-logs');
  const sim = await startSimulator(kubeconfig, {
    log: (m) => console.log(`${new Date().toISOString()} ${m}`),
    demoLogsDir: d >= 0 ? args[d + 1] : undefined,
    skipPlurals: args.includes('--skip') ? args[args.indexOf('--skip') + 1].split(',').filter(Boolean) : [],
  });
  const stop = (): void => {
    void sim.dispose().finally(() => process.exit(0));
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

main().catch((e: unknown) => {
  console.error((e as Error).message);
  process.exit(1);
});
