// Runs one call of Flowdock's official Node.js client (the `flowdock` npm package) and prints
// what it got as one JSON line, so the Python tests can check the sandbox against a client
// that was written for the real service. FLOWDOCK_API_URL and FLOWDOCK_STREAM_URL point it at
// the sandbox; FLOWDOCK_TOKEN is the personal API token it authenticates with.
//
//   node driver.js '{"call": "message", "args": ["FLOW_ID", "hello", ["tag"]]}'
//   node driver.js '{"call": "stream", "flows": ["acme/main"], "count": 2, "timeout": 10000}'
'use strict';

const { Session } = require('flowdock');

const spec = JSON.parse(process.argv[2]);
const session = new Session(process.env.FLOWDOCK_TOKEN, 'x');
// The client emits 'error' as well as passing it to the callback; the callback reports it.
session.on('error', () => {});

function finish(result) {
  process.stdout.write(JSON.stringify(result) + '\n');
  process.exit(0);
}

function reply(err, body, res) {
  if (err) {
    finish({ ok: false, error: String(err.message || err) });
  } else {
    finish({
      ok: true,
      status: res.statusCode,
      body: body === undefined ? null : body,
      // hubot-flowdock learns who it is from this header.
      user: res.headers['flowdock-user'] || null,
    });
  }
}

if (spec.call === 'stream') {
  const events = [];
  const stream = session.stream(spec.flows, spec.params || {});
  const stop = (reason) => {
    stream.end();
    finish({ ok: true, reason, events });
  };
  const timer = setTimeout(() => stop('timeout'), spec.timeout || 10000);
  stream.on('connected', () => process.stderr.write('connected\n'));
  stream.on('clientError', (status) => events.push({ clientError: status }));
  stream.on('message', (message) => {
    events.push(message);
    if (events.filter((e) => !e.clientError).length >= (spec.count || 1)) {
      clearTimeout(timer);
      stop('count');
    }
  });
} else if (typeof session[spec.call] === 'function') {
  session[spec.call](...(spec.args || []), reply);
} else {
  finish({ ok: false, error: `no such client call: ${spec.call}` });
}
