const WebSocket = require('ws');
const port = process.argv[2];
const ws = new WebSocket(`ws://127.0.0.1:${port}/task/service`);
const big = Buffer.alloc(1 << 20, 7);
function pct(a, p) { a = [...a].sort((x, y) => x - y); return a[Math.round(p * (a.length - 1))]; }
ws.on('open', async () => {
  const next = () => new Promise((res) => ws.once('message', res));
  const rtt = [];
  for (let r = 0; r < 3; r++) {
    for (let i = 0; i < 3000; i++) {
      const t = process.hrtime.bigint();
      const p = next();
      ws.send(`{"type":"request","seq":${i},"command":"rrext_ping","arguments":{}}`);
      await p;
      rtt.push(Number(process.hrtime.bigint() - t) / 1000);
    }
  }
  const thr = [];
  for (let r = 0; r < 3; r++) {
    const n = 40, k = 4; let sent = 0, got = 0;
    const t = process.hrtime.bigint();
    await new Promise((res) => {
      const onMsg = () => { got++; if (sent < n) { ws.send(big); sent++; } if (got === n) { ws.off('message', onMsg); res(); } };
      ws.on('message', onMsg);
      while (sent < k) { ws.send(big); sent++; }
    });
    thr.push(n / (Number(process.hrtime.bigint() - t) / 1e9));
  }
  console.log(`node ws client: p50 ${pct(rtt, .5).toFixed(1)} us p99 ${pct(rtt, .99).toFixed(1)} us; MiB/s per round ${thr.map((x) => x.toFixed(0)).join(' ')}`);
  ws.close();
});
