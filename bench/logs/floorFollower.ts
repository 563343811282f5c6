// The floor of bench:logs: the least a Node follower can do with the same request as Gantry (follow, timestamps,
// one request per pod, over HTTP/1.1 or one HTTP/2 connection with 1 MiB stream windows and a 64 MiB connection
// window), without Gantry: no resume cursor, no ring, no
// panel batching; lines are split and tallied as the bytes arrive, and latency is taken then. What it cannot
// reach on a machine, no Node follower reaches there: it separates what the cluster and the machine cost from
// what Gantry costs. Same protocol as gantryFollower.ts.
// argv: <kubeconfig> <namespace> <job> <phase> <expected per pod> <h1|h2>. stdout: READY, DONE, one JSON line.
import * as http2 from 'node:http2';
import * as https from 'node:https';
import type { Readable } from 'node:stream';
import * as k8s from '@kubernetes/client-node';
import { Meter } from './meter';
import { Tally } from './tally';

const [kubeconfig, namespace, job, phase, expectedArg, protocol] = process.argv.slice(2);
const tally = new Tally(phase!, Number(expectedArg));
const kc = new k8s.KubeConfig();
kc.loadFromFile(kubeconfig!);
const server = kc.getCurrentCluster()!.server;

async function main(): Promise<void> {
  const tls: https.RequestOptions = {};
  await kc.applyToHTTPSOptions(tls);
  const headers = Object.fromEntries(
    Object.entries(tls.headers ?? {}).map(([k, v]) => [k.toLowerCase(), String(v)]),
  );
  const base = `/api/v1/namespaces/${namespace}/pods`;
  const agent = new https.Agent({ ca: tls.ca, cert: tls.cert, key: tls.key, keepAlive: false });
  const get = (path: string): Promise<Readable> =>
    new Promise((resolve, reject) =>
      https
        .get(
          new URL(path, server),
          { agent, headers, highWaterMark: 256 * 1024 } as https.RequestOptions,
          resolve,
        )
        .on('error', reject),
    );
  const pods = JSON.parse(
    await new Promise<string>((resolve, reject) => {
      let s = '';
      void get(`${base}?labelSelector=${encodeURIComponent(`training.kubeflow.org/job-name=${job}`)}`).then(
        (r) => r.on('data', (d: Buffer) => (s += d.toString())).on('end', () => resolve(s)),
        reject,
      );
    }),
  ) as { items: { metadata: { name: string } }[] };
  const session =
    protocol === 'h2'
      ? http2.connect(server, {
          ca: tls.ca,
          cert: tls.cert,
          key: tls.key,
          settings: { initialWindowSize: 1024 * 1024 },
        })
      : undefined;
  session?.on('connect', () => session.setLocalWindowSize(64 * 1024 * 1024));
  const ready = new Set<string>();
  const meter = new Meter(() => tally.last);
  for (const { metadata } of pods.items) {
    const path = `${base}/${metadata.name}/log?follow=true&timestamps=true&container=pytorch&tailLines=0`;
    const body = session
      ? session.request({ ':path': path, ...headers }, { endStream: true })
      : await get(path);
    let rest = '';
    body.setEncoding('utf8');
    body.on('data', (chunk: string) => {
      const now = Date.now();
      const lines = (rest + chunk).split('\n');
      rest = lines.pop()!;
      for (const l of lines) {
        const text = l.slice(l.indexOf(' ') + 1);
        if (text === `ready ${phase}`) {
          ready.add(metadata.name);
          if (ready.size === tally.pods && !meter.measuring) meter.start();
          continue;
        }
        if (tally.add(metadata.name, text, now) && tally.complete()) process.stdout.write('DONE\n');
      }
    });
  }
  process.stdin.on('data', (d: Buffer) => {
    const cmd = d.toString().trim();
    if (cmd.startsWith('PODS ')) tally.pods = Number(cmd.slice(5));
    if (cmd === 'STOP') {
      process.stdout.write(JSON.stringify({ ...tally.report(), ...meter.stop() }) + '\n');
      process.exit(0);
    }
  });
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
