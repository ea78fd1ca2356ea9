/**
 * Preload for `apps/projector` with the embedded SQLite stores: nothing in that process keeps
 * Node's event loop alive (the event store's poll timer is unref'd), so it exits with code 0
 * right after start-up. The bench holds the loop open so the projector keeps running, until
 * it is sent SIGTERM.
 */
'use strict';
/* global setInterval */

setInterval(() => {}, 1 << 30);
