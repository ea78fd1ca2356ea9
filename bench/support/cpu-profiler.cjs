/**
 * Preload (`node -r bench/support/cpu-profiler.cjs ...`) that lets a bench CPU-profile a child
 * process over its IPC channel, around the measured phase only (not start-up or shutdown):
 *
 *   { type: 'cpu-profile:start', samplingIntervalUs? }  ->  { type: 'cpu-profile:started' }
 *   { type: 'cpu-profile:stop', file }                  ->  { type: 'cpu-profile:written', file }
 *
 * The profile is written in the .cpuprofile format (Chrome DevTools, `bench/support/cpu-profile.ts`).
 */
'use strict';

const inspector = require('node:inspector');
const { writeFileSync } = require('node:fs');

if (typeof process.send === 'function') {
  const session = new inspector.Session();
  session.connect();
  const post = (method, params) =>
    new Promise((resolve, reject) =>
      session.post(method, params ?? {}, (error, result) =>
        error ? reject(error) : resolve(result),
      ),
    );
  const reply = (message) => process.send?.(message);

  process.on('message', (message) => {
    if (!message || typeof message !== 'object') return;
    if (message.type === 'cpu-profile:start') {
      post('Profiler.enable')
        .then(() =>
          post('Profiler.setSamplingInterval', { interval: message.samplingIntervalUs ?? 1000 }),
        )
        .then(() => post('Profiler.start'))
        .then(() => reply({ type: 'cpu-profile:started' }))
        .catch((error) => reply({ type: 'cpu-profile:error', message: String(error) }));
    } else if (message.type === 'cpu-profile:stop') {
      post('Profiler.stop')
        .then(({ profile }) => {
          writeFileSync(message.file, JSON.stringify(profile));
          reply({ type: 'cpu-profile:written', file: message.file });
        })
        .catch((error) => reply({ type: 'cpu-profile:error', message: String(error) }));
    }
  });
  // The channel must not keep the server alive once it shuts down.
  process.channel?.unref();
}
