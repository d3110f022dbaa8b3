// End-to-end test of `dapscope mcp` with the official MCP TypeScript SDK as the client (run by run.sh).
// Usage: node client.mjs DAPSCOPE WORKDIR
// Builds a store with `dapscope demo` (a session whose API key is redacted) and `dapscope import` (a 10,000-message
// session), then checks every tool against what `dapscope sessions/show/stats/search/diff --json` print for the
// same store, the bounds of every answer, and the protocol's robustness on raw stdio.

import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { LATEST_PROTOCOL_VERSION } from '@modelcontextprotocol/sdk/types.js';
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

const [dapscope, work] = process.argv.slice(2);
const db = join(work, 'traces.db');
const demoKey = 'sk-demo-0000-not-a-real-key'; // the key `dapscope demo` authenticates with
const maxBytes = 32 * 1024;

function run(args, okCodes = [0]) {
    try {
        return execFileSync(dapscope, args, { encoding: 'utf8', maxBuffer: 1 << 30 });
    } catch (e) {
        if (okCodes.includes(e.status)) return e.stdout;
        throw e;
    }
}
const jsonLines = (text) => text.split('\n').filter((l) => l.trim()).map((l) => JSON.parse(l));

// --- The store: a demo session, and a 10,000-message session imported from JSONL.
run(['demo', '--db', db]);
const lines = [];
const t0 = 1795752440;
for (let i = 1; i <= 5000; ++i) {
    lines.push(JSON.stringify({ dir: 'c2s', t: t0 + i * 0.01, opcode: 'text',
        data: JSON.stringify({ type: 'request', seq: i, command: 'rrext_ping', arguments: { n: i } }) }));
    lines.push(JSON.stringify({ dir: 's2c', t: t0 + i * 0.01 + 0.001, opcode: 'text',
        data: JSON.stringify({ type: 'response', seq: i, request_seq: i, command: 'rrext_ping', success: true,
            body: { pong: true } }) }));
}
writeFileSync(join(work, 'big.jsonl'), lines.join('\n') + '\n');
run(['import', join(work, 'big.jsonl'), '--db', db]);
const cliSessions = jsonLines(run(['sessions', '--db', db, '--json']));
assert.equal(cliSessions.length, 2);
const demo = cliSessions[0].id;
const big = cliSessions[1].id;
assert.equal(cliSessions[1].messages, 10000);

// --- The SDK client.
const transport = new StdioClientTransport({ command: dapscope, args: ['mcp', '--db', db], stderr: 'pipe' });
let stderr = '';
transport.stderr.on('data', (chunk) => { stderr += chunk; });
const client = new Client({ name: 'dapscope-test', version: '1.0.0' });
const transportErrors = [];
client.onerror = (e) => transportErrors.push(e);
await client.connect(transport);
assert.equal(client.getServerVersion().name, 'dapscope');
assert.ok(client.getServerCapabilities().tools && client.getServerCapabilities().resources);

const outputs = []; // every answer's text, checked for the key at the end
async function call(name, args) {
    const result = await client.callTool({ name, arguments: args });
    outputs.push(JSON.stringify(result));
    return result;
}
async function tool(name, args) {
    const result = await call(name, args);
    assert.notEqual(result.isError, true, `${name}: ${JSON.stringify(result.content)}`);
    // Structured content and its JSON text are the same answer, and bounded.
    assert.deepEqual(JSON.parse(result.content[0].text), result.structuredContent);
    assert.ok(result.content[0].text.length <= maxBytes + 4096, `${name}: ${result.content[0].text.length} bytes`);
    return result.structuredContent;
}
// Every page of a listing tool, following next_cursor.
async function walk(name, args, key) {
    const rows = [];
    let cursor;
    let pages = 0;
    do {
        const page = await tool(name, cursor ? { ...args, cursor } : args);
        assert.ok(page[key].length <= (args.limit ?? 50), `${name}: ${page[key].length} rows`);
        assert.equal(page.returned, page[key].length);
        rows.push(...page[key]);
        if (page.next_cursor) assert.ok(page.left_out > 0);
        else assert.equal(page.left_out, 0);
        cursor = page.next_cursor;
        ++pages;
    } while (cursor);
    return { rows, pages };
}

const { tools } = await client.listTools();
const names = tools.map((t) => t.name).sort();
assert.deepEqual(names, ['diff', 'failures', 'get_message', 'list_messages', 'list_sessions', 'search',
    'session_summary', 'task_timeline']);
for (const t of tools) {
    assert.ok(t.description.length > 80, t.name);
    assert.equal(t.inputSchema.type, 'object');
    assert.equal(t.outputSchema.type, 'object');
}

// list_sessions: the rows of `sessions --json`, newest first, plus failures.
const sessions = await tool('list_sessions', {});
assert.deepEqual(sessions.sessions.map((s) => s.id), [big, demo]);
for (const s of sessions.sessions) {
    const { failures, ...row } = s;
    assert.deepEqual(row, cliSessions.find((c) => c.id === s.id));
    assert.equal(failures, jsonLines(run(['show', String(s.id), '--failed', '--json', '--db', db])).length);
}
assert.deepEqual((await tool('list_sessions', { has_failures: true })).sessions.map((s) => s.id), [demo]);
assert.deepEqual((await tool('list_sessions', { limit: 1 })).left_out, 1);

// session_summary: `stats --json` of the session.
const stats = jsonLines(run(['stats', String(demo), '--json', '--db', db]));
const summary = await tool('session_summary', { session: demo });
assert.deepEqual(summary.commands, stats.filter((r) => 'command' in r));
assert.deepEqual(summary.events, stats.filter((r) => 'event' in r));
const totals = stats.find((r) => 'orphans' in r);
assert.equal(summary.unanswered, totals.unanswered);
assert.ok(summary.tasks.length > 0);
assert.ok(summary.redacted_messages > 0);
assert.equal(summary.failures, jsonLines(run(['show', String(demo), '--failed', '--json', '--db', db])).length);

// list_messages: every page together is `show --json`; the 10,000-message session in bounded pages.
const shown = jsonLines(run(['show', String(demo), '--json', '--db', db]));
assert.deepEqual((await walk('list_messages', { session: demo }, 'messages')).rows, shown);
assert.equal(summary.redacted_messages, shown.filter((m) => m.redacted).length);
assert.equal(summary.capture_gaps.truncated_messages, shown.filter((m) => m.truncated).length);
assert.equal(summary.capture_gaps.elided_messages, shown.filter((m) => m.elided).length);
const bigWalk = await walk('list_messages', { session: big }, 'messages');
assert.equal(bigWalk.rows.length, 10000);
assert.ok(bigWalk.pages >= 200, `${bigWalk.pages} pages`);
assert.deepEqual(bigWalk.rows.map((m) => m.id),
    jsonLines(run(['show', String(big), '--json', '--db', db])).map((m) => m.id));
// With a large limit the 32 KiB bound cuts the pages instead.
const byBytes = await walk('list_messages', { session: big, limit: 500 }, 'messages');
assert.equal(byBytes.rows.length, 10000);
assert.ok(byBytes.pages > 20, `${byBytes.pages} pages`);
const firstPage = await call('list_messages', { session: big });
assert.match(firstPage.content[1].text, /9950 more messages left out/);
const filtered = await tool('list_messages', { session: demo, command: 'rrext_ping', direction: 'c2s' });
assert.deepEqual(filtered.messages,
    jsonLines(run(['show', String(demo), '--json', '--command', 'rrext_ping', '--dir', 'c2s', '--db', db])));

// failures: `show --failed`, with the request and the task's events.
const failed = jsonLines(run(['show', String(demo), '--failed', '--json', '--db', db]));
assert.ok(failed.length > 0, 'the demo fails some requests on purpose');
const failures = await walk('failures', { session: demo }, 'failures');
assert.deepEqual(failures.rows.map((f) => f.message), failed);
const withResponse = failures.rows.find((f) => f.message.kind === 'response');
assert.ok(withResponse.request && withResponse.error_message, JSON.stringify(withResponse));

// get_message: the row, the decoded payload, the pair.
const response = shown.find((m) => m.kind === 'response' && m.pair_id);
const message = await tool('get_message', { id: response.id });
const { payload, pair, ...row } = message;
assert.deepEqual(row, response);
assert.equal(payload.json.type, 'response');
assert.deepEqual(pair, shown.find((m) => m.id === response.pair_id));

// task_timeline: the task's requests and events in time order.
const task = summary.tasks[0].task;
const timeline = await walk('task_timeline', { session: demo, task }, 'timeline');
const taskRows = shown.filter((m) => m.task === task && (m.kind === 'request' || m.kind === 'event'));
assert.deepEqual(timeline.rows.map((r) => r.id), taskRows.map((m) => m.id));

// search: `search --json`.
const searched = jsonLines(run(['search', '--command', 'rrext_ping', '--json', '--db', db]));
const found = await walk('search', { command: 'rrext_ping', limit: 200 }, 'matches');
assert.deepEqual(found.rows, searched);

// diff: `diff --json` (a session against itself is equivalent).
const cliDiff = JSON.parse(run(['diff', String(demo), String(demo), '--json', '--db', db], [0, 1]));
const diff = await tool('diff', { a: demo, b: demo, all: true });
assert.equal(diff.outcome, cliDiff.outcome);
assert.deepEqual(diff.summary, cliDiff.summary);
assert.ok(diff.requests.length > 0);
assert.deepEqual(diff.requests, cliDiff.requests.slice(0, diff.requests.length));
assert.deepEqual(diff.events, cliDiff.events);

// Resources.
const { resources } = await client.listResources();
assert.deepEqual(resources.map((r) => r.uri), [`dapscope://session/${big}`, `dapscope://session/${demo}`]);
const { resourceTemplates } = await client.listResourceTemplates();
assert.deepEqual(resourceTemplates.map((r) => r.uriTemplate).sort(),
    ['dapscope://message/{id}', 'dapscope://session/{id}']);
const sessionResource = await client.readResource({ uri: `dapscope://session/${demo}` });
outputs.push(JSON.stringify(sessionResource));
assert.deepEqual(JSON.parse(sessionResource.contents[0].text), summary);
const messageResource = await client.readResource({ uri: `dapscope://message/${response.id}` });
outputs.push(JSON.stringify(messageResource));
assert.deepEqual(JSON.parse(messageResource.contents[0].text), message);
await assert.rejects(client.readResource({ uri: 'dapscope://session/999999' }), (e) => e.code === -32002);

// Errors: an unknown tool is a JSON-RPC error; bad arguments a tool result naming the argument.
await assert.rejects(client.callTool({ name: 'drop_tables', arguments: {} }), (e) => e.code === -32602);
for (const [name, args, argument] of [
    ['list_messages', { session: 'one' }, 'session'],
    ['list_messages', { session: 999999 }, 'session'],
    ['list_messages', { session: demo, kind: 'banana' }, 'kind'],
    ['list_messages', { session: demo, limit: 100000 }, 'limit'],
    ['list_messages', { session: demo, cursor: 'x' }, 'cursor'],
    ['list_messages', { session: demo, sesion: 1 }, 'sesion'],
    ['session_summary', {}, 'session'],
    ['get_message', { id: 0 }, 'id'],
    ['task_timeline', { session: demo, task: 'no-such-task' }, 'task'],
    ['search', {}, 'text'],
    ['diff', { a: demo, b: demo, ignore: ['body.startedAt'] }, 'ignore'],
]) {
    const result = await call(name, args);
    assert.equal(result.isError, true, `${name} ${JSON.stringify(args)}`);
    assert.ok(result.content[0].text.startsWith(argument + ':'), result.content[0].text);
}

// No answer carries the API key the demo session authenticated with; the redaction markers are there instead.
const everything = outputs.join('\n');
assert.ok(!everything.includes(demoKey), 'the API key leaked into a tool answer');
assert.ok(everything.includes('[redacted:'), 'the redacted auth request was seen');

assert.deepEqual(transportErrors, []);
await client.close();
assert.match(stderr, /dapscope mcp: serving/);

// --- Raw stdio: only protocol on stdout, a malformed line answered and survived, stdin closed mid-request.
function raw(input) {
    return new Promise((resolve) => {
        const child = spawn(dapscope, ['mcp', '--db', db], { stdio: ['pipe', 'pipe', 'pipe'] });
        let out = '';
        let err = '';
        child.stdout.on('data', (c) => { out += c; });
        child.stderr.on('data', (c) => { err += c; });
        child.on('close', (code, signal) => resolve({ code, signal, out, err }));
        child.stdin.end(input);
    });
}
const init = JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-06-18',
    capabilities: {}, clientInfo: { name: 'raw', version: '0' } } });
const session1 = await raw([init, '{"jsonrpc":"2.0","method":"notifications/initialized"}', '{not json',
    '[{"jsonrpc":"2.0","id":7,"method":"ping"}]', '{"jsonrpc":"2.0","id":2,"method":"no/such"}',
    '{"jsonrpc":"2.0","id":3,"method":"ping"}', ''].join('\n'));
assert.equal(session1.code, 0);
const answers = session1.out.split('\n').filter((l) => l).map((l) => JSON.parse(l)); // nothing but JSON lines
assert.ok(session1.out.endsWith('\n'));
assert.equal(answers.length, 5);
assert.equal(answers[0].result.protocolVersion, '2025-06-18');
assert.deepEqual(answers[1], { jsonrpc: '2.0', id: null, error: answers[1].error });
assert.equal(answers[1].error.code, -32700);
assert.equal(answers[2].error.code, -32600);
assert.equal(answers[3].error.code, -32601);
assert.deepEqual(answers[4], { jsonrpc: '2.0', id: 3, result: {} });
assert.match(session1.err, /serving/);
// A version it does not know gets the newest it speaks (the SDK's newest).
const other = await raw(init.replace('2025-06-18', '1999-01-01') + '\n');
assert.equal(JSON.parse(other.out).result.protocolVersion, LATEST_PROTOCOL_VERSION);
// stdin closed in the middle of a request: a clean exit, and stdout holds only whole JSON-RPC lines.
const cut = await raw(init + '\n{"jsonrpc":"2.0","id":9,"method":"tools/call","params":{"name":"list_ses');
assert.equal(cut.signal, null);
assert.equal(cut.code, 0);
for (const line of cut.out.split('\n').filter((l) => l)) assert.equal(JSON.parse(line).jsonrpc, '2.0');
// stdin closed right after a whole request: it is still answered.
const last = await raw(init + '\n' + JSON.stringify({ jsonrpc: '2.0', id: 4, method: 'tools/call',
    params: { name: 'list_messages', arguments: { session: big } } }));
assert.equal(last.code, 0);
assert.equal(JSON.parse(last.out.split('\n')[1]).result.structuredContent.returned, 50);

console.log(`mcp e2e: ok (${bigWalk.pages} pages for 10,000 messages)`);
