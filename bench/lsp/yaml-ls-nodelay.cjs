// Starts yaml-language-server with its fixed 200 ms validation delay set to 0, so the benchmark measures its
// validation rather than a timer. Only the SettingsState default changes; the server is otherwise as shipped.
const path = require('node:path');
// The same plain copy of the environment Gantry's server makes (src/server/main.ts): the `yaml` parser both
// servers use reads process.env.LOG_TOKENS once per token, and Node's real process.env is a slow exotic object.
// Without this the comparison would partly measure that environment lookup, not validation.
process.env = { ...process.env };
const dir = path.join(__dirname, 'node_modules', 'yaml-language-server');
const settings = require(path.join(dir, 'out', 'server', 'src', 'yamlSettings.js'));
const Original = settings.SettingsState;
settings.SettingsState = class extends Original {
  constructor(...args) {
    super(...args);
    this.validationDelayMs = 0;
  }
};
process.env.YAML_LANGUAGE_SERVER_VERSION = require(path.join(dir, 'package.json')).version;
require(path.join(dir, 'out', 'server', 'src', 'server.js'));
