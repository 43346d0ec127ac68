// Preloaded by bench/startup.mjs with `node --import`: prints to stderr, in ms since the process
// started, when node reached this preload (its bootstrap), when the process first calls listen()
// (imports, config load, validation and table build are done by then), and when it exits (for
// `main.js --version`: right after main.js and its static imports were loaded).
import net from 'node:net';

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
