// Decode OTLP JSON lines with the OpenTelemetry JS packages' protobuf definitions (an independent decoder):
// every line must survive JSON -> protobuf -> binary -> protobuf -> JSON unchanged, so no field is unknown or
// of the wrong type. Prints the number of spans.
const root = require('@opentelemetry/otlp-transformer/build/src/generated/root');
const Req = root.opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest;
const fs = require('fs');
const assert = require('assert');
const hexToB64 = (h) => Buffer.from(h, 'hex').toString('base64');
let spans = 0;
for (const line of fs.readFileSync(process.argv[2], 'utf8').split('\n').filter(Boolean)) {
  const doc = JSON.parse(line);
  for (const rs of doc.resourceSpans) for (const ss of rs.scopeSpans) for (const s of ss.spans)
    for (const k of ['traceId', 'spanId', 'parentSpanId']) if (s[k] !== undefined) s[k] = hexToB64(s[k]);
  const back = Req.toObject(Req.decode(Req.encode(Req.fromObject(doc)).finish()),
                            { longs: String, enums: Number, bytes: String });
  assert.deepStrictEqual(back, doc);
  for (const rs of back.resourceSpans) for (const ss of rs.scopeSpans) spans += ss.spans.length;
}
console.log('spans', spans);
