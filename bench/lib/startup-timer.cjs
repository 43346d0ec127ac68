// Preloaded by bench/startup.mjs with `node --require` (CommonJS: an ES module preload would make
// node set up its ES module loader, which the command does not need): prints to stderr, in ms
// since the process started, when node reached this preload (its bootstrap), when the process
// first calls listen() (imports, config load, validation and table build are done by then), and
// when it exits (for `--version`: right after the command's code was loaded).
const net = require('node:net');

const mark = (what) => process.stderr.write(`startup-timer ${what} ${performance.now().toFixed(2)}\n`);
mark('boot');
const listen = net.Server.prototype.listen;
let listened = false;
net.Server.prototype.listen = function (...args) {
  if (!listened) mark('listen');
  listened = true;
  return listen.apply(this, args);
};
process.on('exit', () => mark('exit'));
