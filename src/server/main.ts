// Entry of dist/server.js: the only place that creates the real connection (--stdio, --node-ipc or --socket from
// the command line). The bundled schemas ship next to dist/: <extension>/schemas.
import * as path from 'node:path';
import { ProposedFeatures, createConnection } from 'vscode-languageserver/node';
import { createServer } from './server';

// The `yaml` parser reads process.env.LOG_TOKENS once per token (yaml 2.x, parse/parser.js), and Node's real
// process.env is a slow exotic object (a C++ lookup per read): about a third of parse time on large files. This
// process never changes its environment or spawns children, so a plain copy serves the same values.
process.env = { ...process.env };

const connection = createConnection(ProposedFeatures.all);
createServer(connection, { schemasDir: path.join(__dirname, '..', 'schemas') });
