// Entry of dist/server.js: the only place that creates the real connection (--stdio, --node-ipc or --socket from
// the command line). The bundled schemas ship next to dist/: <extension>/schemas.
import * as path from 'node:path';
import { ProposedFeatures, createConnection } from 'vscode-languageserver/node';
import { createServer } from './server';

const connection = createConnection(ProposedFeatures.all);
createServer(connection, { schemasDir: path.join(__dirname, '..', 'schemas') });
