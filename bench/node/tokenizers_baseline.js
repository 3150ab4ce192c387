// Baseline for bench/tokenizer_bench: Hugging Face's Rust `tokenizers` through its npm Node
// binding, encoding the same texts one at a time (single-threaded, as zerorl's bench does).
//
//   node bench/node/tokenizers_baseline.js TOKENIZER_JSON TEXTS_JSONL [ROUNDS]
//
// TEXTS_JSONL holds one JSON string per line. Each round loads the tokenizer afresh (cold
// caches) and times encoding every text without special tokens. Prints one JSON line:
//   {"mb_per_s": best round, "seconds": [...], "bytes": N, "tokens": N, "checksum": N}
// where checksum folds every id in order (the bench compares it with zerorl's).
// Exit 3 when the `tokenizers` package is not installed (cd bench/node && npm install).
'use strict';
process.env.RAYON_NUM_THREADS = '1';
process.env.TOKENIZERS_PARALLELISM = 'false';
const fs = require('fs');
const path = require('path');

let Tokenizer;
try {
  ({Tokenizer} = require(path.join(__dirname, 'node_modules', 'tokenizers')));
} catch (e) {
  console.error('tokenizers_baseline: the npm package `tokenizers` is missing: ' +
                'cd bench/node && npm install');
  process.exit(3);
}

async function main() {
  const [tokenizerPath, textsPath, roundsArg] = process.argv.slice(2);
  if (!tokenizerPath || !textsPath) {
    console.error('usage: node tokenizers_baseline.js TOKENIZER_JSON TEXTS_JSONL [ROUNDS]');
    process.exit(2);
  }
  const rounds = Number(roundsArg || 3);
  const texts = fs.readFileSync(textsPath, 'utf8').split('\n').filter((l) => l.length)
      .map((l) => JSON.parse(l));
  const bytes = texts.reduce((n, t) => n + Buffer.byteLength(t, 'utf8'), 0);
  const seconds = [];
  let tokens = 0;
  let checksum = 0;
  for (let r = 0; r < rounds; ++r) {
    const tokenizer = Tokenizer.fromFile(tokenizerPath);
    tokens = 0;
    checksum = 0;
    const start = process.hrtime.bigint();
    for (const text of texts) {
      const encoding = await tokenizer.encode(text, null, {addSpecialTokens: false});
      const ids = encoding.getIds();
      tokens += ids.length;
      for (const id of ids) checksum = (checksum * 31 + id + 1) % 1000000007;
    }
    seconds.push(Number(process.hrtime.bigint() - start) / 1e9);
  }
  const best = Math.min(...seconds);
  console.log(JSON.stringify({mb_per_s: bytes / 1e6 / best, seconds, bytes, tokens, checksum}));
}

main().catch((e) => {
  console.error('tokenizers_baseline: ' + e.message);
  process.exit(1);
});
