import { main } from './main.js';

// The bundled entry point: set the exit code and let pending output flush.
main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  () => {
    process.stderr.write('autoreply: internal error\n');
    process.exitCode = 75;
  },
);
