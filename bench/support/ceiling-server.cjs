/**
 * The two ceilings the HTTP benches compare Custodian with (issue 18), each served from its own
 * process on 127.0.0.1 (started by ceilings.ts):
 *
 *   node bench/support/ceiling-server.cjs bare PORT
 *     POST /ceiling: a bare Fastify JSON route; parses the JSON body, answers 201 {"ok":true}.
 *   node bench/support/ceiling-server.cjs durable PORT DB_FILE
 *     POST /ceiling: appends the body to a SQLite log (journal_mode=WAL, synchronous=FULL).
 *     The bodies of one event-loop turn are written in one transaction (group commit, flushed by
 *     setImmediate); each request is answered 201 {"ok":true,"position":N} after its commit.
 *
 * Prints "listening PORT" once ready; stops on SIGTERM. Plain CommonJS, so no compile step and
 * nothing of Custodian's code is loaded.
 */
'use strict';
const { setImmediate } = require('node:timers');
const Fastify = require('fastify');

const [mode, portText, dbFile] = process.argv.slice(2);
const port = Number(portText);
if (
  !['bare', 'durable'].includes(mode) ||
  !Number.isInteger(port) ||
  (mode === 'durable' && !dbFile)
) {
  console.error('usage: ceiling-server.cjs bare PORT | durable PORT DB_FILE');
  process.exit(2);
}

const app = Fastify({ logger: false });

if (mode === 'bare') {
  app.post('/ceiling', async (request, reply) => {
    reply.code(201);
    return { ok: true };
  });
} else {
  const Database = require('better-sqlite3');
  const db = new Database(dbFile);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = FULL');
  db.exec(
    'CREATE TABLE IF NOT EXISTS log (position INTEGER PRIMARY KEY AUTOINCREMENT, body TEXT NOT NULL)',
  );
  const insert = db.prepare('INSERT INTO log (body) VALUES (?)');
  const commit = db.transaction((batch) => {
    for (const item of batch) item.position = Number(insert.run(item.body).lastInsertRowid);
  });
  let pending = [];
  const flush = () => {
    const batch = pending;
    pending = [];
    try {
      commit(batch);
      for (const item of batch) item.resolve(item.position);
    } catch (error) {
      for (const item of batch) item.reject(error);
    }
  };
  const append = (body) =>
    new Promise((resolve, reject) => {
      if (pending.length === 0) setImmediate(flush);
      pending.push({ body, resolve, reject, position: 0 });
    });
  app.post('/ceiling', async (request, reply) => {
    const position = await append(JSON.stringify(request.body));
    reply.code(201);
    return { ok: true, position };
  });
  app.addHook('onClose', async () => db.close());
}

app.listen({ port, host: '127.0.0.1' }).then(
  () => console.log(`listening ${port}`),
  (error) => {
    console.error(error);
    process.exit(1);
  },
);
process.once('SIGTERM', () => {
  app.close().then(() => process.exit(0));
});
