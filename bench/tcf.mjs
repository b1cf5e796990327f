// The IAB's reference library, @iabtcf/core, timed on the same work as bench/tcf.py gives
// bandeau's codec. Reads {"strings": [...], "gvl": {...}, "seconds": S} on stdin; writes
// {"decode_per_s", "encode_per_s", "decoded", "encoded"} on stdout.
//
// decode: TCString.decode of each string in turn, for S seconds.
// encode: TCString.encode of the same strings' models (decoded once beforehand, the vendor list
// attached, as a CMP encodes), core and DisclosedVendors segments, for S seconds.
import { GVL, Segment, TCString } from '@iabtcf/core';

function loop(strings, seconds, work) {
  let done = 0;
  const start = performance.now();
  const end = start + seconds * 1000;
  for (;;) {
    work(done % strings.length);
    done += 1;
    if (done % 16 === 0 && performance.now() >= end) return (done * 1000) / (performance.now() - start);
  }
}

let input = '';
process.stdin.setEncoding('utf8');
process.stdin.on('data', (chunk) => { input += chunk; });
process.stdin.on('end', () => {
  const { strings, gvl: list, seconds } = JSON.parse(input);
  const gvl = new GVL(list);
  const models = strings.map((s) => {
    const model = TCString.decode(s);
    model.gvl = gvl;
    return model;
  });
  const options = { segments: [Segment.CORE, Segment.VENDORS_DISCLOSED] };
  const decodePerS = loop(strings, seconds, (i) => TCString.decode(strings[i]));
  const encodePerS = loop(strings, seconds, (i) => TCString.encode(models[i], options));
  process.stdout.write(JSON.stringify({
    decode_per_s: decodePerS,
    encode_per_s: encodePerS,
    decoded: strings.length,
    encoded: models.map((m) => TCString.encode(m, options)).length,
  }));
});
