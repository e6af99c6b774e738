// Runs INSIDE the jail: loads the user's CommonJS code, awaits `main(input)`, reports one result.
//
// Node's standard library only. Protocol (see sandbox/protocol.py): a JSON request on stdin
// (code, input, marker, max_output_bytes); the user's console output goes to stdout/stderr as it
// is; at the end "\n<marker>\n" and a JSON result go to stdout, then the process exits.
//
// This file is NOT a security boundary: the user's code runs in this same process and could forge
// or skip the result. The jail around it is the boundary.
'use strict';

const fs = require('fs');
const Module = require('module');

const USER_FILENAME = '/sandbox/user_code.js';
const MAX_TEXT = 64 * 1024;
const stringify = JSON.stringify;
const stdoutWrite = process.stdout.write.bind(process.stdout);
let finished = false;
let marker = '';

function clip(text) {
  text = String(text);
  if (text.length <= MAX_TEXT) return text;
  return `${text.slice(0, MAX_TEXT)}\n[... ${text.length - MAX_TEXT} more characters not shown]`;
}

function finish(payload) {
  if (finished) return;
  finished = true;
  // Pipes are synchronous on Linux, so everything the user logged is already written.
  // An ok result carries the user's JSON text as is, so it is not encoded twice.
  const body =
    payload.outputText === undefined
      ? stringify(payload)
      : `{"status":"ok","output":${payload.outputText}}`;
  stdoutWrite(`\n${marker}\n${body}`, () => process.reallyExit(0));
}

function userStack(error) {
  if (!(error instanceof Error)) return `Uncaught ${clip(safeString(error))}`;
  const lines = String(error.stack || `${error.name}: ${error.message}`).split('\n');
  // Drop the runner's and node's internal frames: the user sees their code.
  const kept = lines.filter(
    (line) => !/^\s+at /.test(line) || (!line.includes(__filename) && !line.includes('node:internal')),
  );
  return clip(kept.join('\n'));
}

function safeString(value) {
  try {
    return String(value);
  } catch (_) {
    return Object.prototype.toString.call(value);
  }
}

function exceptionPayload(error) {
  const type = error instanceof Error ? error.name : typeof error;
  const message = error instanceof Error ? `${error.name}: ${error.message}` : safeString(error);
  return {
    status: 'error',
    kind: 'user_exception',
    exception_type: type,
    message: clip(message),
    traceback: userStack(error),
  };
}

function resultPayload(value, maxOutputBytes) {
  let text;
  try {
    text = stringify(value === undefined ? null : value);
  } catch (error) {
    return {
      status: 'error',
      kind: 'non_json_output',
      message: clip(`main() returned a value that is not JSON-serialisable: ${error.message}`),
    };
  }
  if (text === undefined) {
    return {
      status: 'error',
      kind: 'non_json_output',
      message: `main() returned a ${typeof value}, which is not JSON-serialisable`,
    };
  }
  const size = Buffer.byteLength(text, 'utf8');
  if (size > maxOutputBytes) {
    return {
      status: 'error',
      kind: 'output_too_large',
      message: `main() returned ${size} bytes of JSON; the limit is ${maxOutputBytes} bytes`,
    };
  }
  return { status: 'ok', outputText: text };
}

function main() {
  const request = JSON.parse(fs.readFileSync(0, 'utf8'));
  marker = request.marker;
  process.on('uncaughtException', (error) => finish(exceptionPayload(error)));
  process.on('unhandledRejection', (error) => finish(exceptionPayload(error)));
  process.on('beforeExit', () =>
    finish({
      status: 'error',
      kind: 'user_exception',
      exception_type: 'Error',
      message: 'main() returned a promise that never settled',
      traceback: '',
    }),
  );
  let entry;
  try {
    const userModule = new Module(USER_FILENAME, null);
    userModule.filename = USER_FILENAME;
    userModule.paths = [];
    userModule._compile(request.code, USER_FILENAME);
    const exported = userModule.exports;
    entry = typeof exported === 'function' ? exported : exported && exported.main;
  } catch (error) {
    finish(exceptionPayload(error));
    return;
  }
  if (typeof entry !== 'function') {
    finish({
      status: 'error',
      kind: 'user_exception',
      exception_type: 'TypeError',
      message: 'the code must export a function main(input) (module.exports.main = ...)',
      traceback: '',
    });
    return;
  }
  Promise.resolve()
    .then(() => entry(request.input))
    .then(
      (value) => finish(resultPayload(value, request.max_output_bytes)),
      (error) => finish(exceptionPayload(error)),
    );
}

main();
