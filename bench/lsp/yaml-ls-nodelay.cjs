// Starts yaml-language-server with its fixed 200 ms validation delay set to 0, so the benchmark measures its
// validation rather than a timer. Only the SettingsState default changes; the server is otherwise as shipped.
const path = require('node:path');
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
