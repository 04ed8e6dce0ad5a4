// Generates llama3_mini.json, a small Llama-3-style tokenizer.json (byte-level
// BPE trained here on a tiny corpus, Llama 3's Split regex, ignore_merges,
// <|begin_of_text|> template), and prints the expected ids / decodings that
// Hugging Face's tokenizers.js (npm @huggingface/tokenizers) computes for the
// strings of hf_tokenizer_test.cc, as C++ for that test.
//
//   mkdir -p /tmp/tokcheck && cd /tmp/tokcheck && npm install @huggingface/tokenizers
//   NODE_PATH=/tmp/tokcheck/node_modules node make_llama3_mini.js OUT_DIR
//
// (Run from anywhere; node resolves the package through NODE_PATH only for
// CommonJS, so this script uses createRequire on that path.)
'use strict';
const fs = require('fs');
const path = require('path');
const {createRequire} = require('module');
const req = createRequire(path.join(process.env.NODE_PATH || '.', 'x.js'));
const {Tokenizer} = req('@huggingface/tokenizers');

const kLlama3Pattern =
    "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}| ?" +
    "[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";
// The same words for training (JS has no inline (?i:...)).
const kTrainRegex = new RegExp(
    "'(?:[sStTmMdD]|ll|LL|re|RE|ve|VE)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|" +
        "\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+",
    'gu');

const kCorpus = `Once upon a time, there was a little girl named Lily. She loved to
play outside in the park with her friends. One day, she saw a big red ball
near the tree. "Can I play with the ball?" she asked. Her mother smiled and
said, "Of course you can!" They played together until the sun went down.
The quick brown fox jumps over the lazy dog. It's a test: they'll see, we've
seen, I'm here, you'd go. Numbers like 1234567 and 3.14159 appear in 2024.
Hello world! This is a small tokenizer for testing the Llama 3 pre-tokenizer.
    Indented lines, tabs\tand newlines

matter too. The keeper of the light went up the stairs every night.`;

// GPT-2's byte -> character table.
function bytesToUnicode() {
  const bs = [];
  for (let b = 33; b <= 126; ++b) bs.push(b);
  for (let b = 161; b <= 172; ++b) bs.push(b);
  for (let b = 174; b <= 255; ++b) bs.push(b);
  const cs = bs.slice();
  let n = 0;
  for (let b = 0; b < 256; ++b) {
    if (!bs.includes(b)) {
      bs.push(b);
      cs.push(256 + n++);
    }
  }
  const map = new Array(256);
  bs.forEach((b, i) => { map[b] = String.fromCodePoint(cs[i]); });
  return map;
}

function train(numMerges) {
  const b2u = bytesToUnicode();
  const counts = new Map();
  for (const m of kCorpus.matchAll(kTrainRegex)) {
    const mapped = Array.from(Buffer.from(m[0], 'utf8'), (b) => b2u[b]);
    const key = mapped.join('\u0000');
    counts.set(key, (counts.get(key) || 0) + 1);
  }
  let words = [...counts].map(([k, c]) => ({syms: k.split('\u0000'), c}));
  const vocab = {};
  b2u.forEach((ch, b) => { vocab[ch] = b; });
  const merges = [];
  for (let it = 0; it < numMerges; ++it) {
    const pairs = new Map();
    for (const w of words) {
      for (let i = 0; i + 1 < w.syms.length; ++i) {
        const k = w.syms[i] + ' ' + w.syms[i + 1];
        pairs.set(k, (pairs.get(k) || 0) + w.c);
      }
    }
    let best = null;
    for (const [k, c] of pairs) {
      if (best === null || c > best[1] || (c === best[1] && k < best[0])) {
        best = [k, c];
      }
    }
    if (best === null) break;
    const [a, b] = best[0].split(' ');
    merges.push([a, b]);
    vocab[a + b] = Object.keys(vocab).length;
    for (const w of words) {
      const out = [];
      for (let i = 0; i < w.syms.length; ++i) {
        if (i + 1 < w.syms.length && w.syms[i] === a && w.syms[i + 1] === b) {
          out.push(a + b);
          ++i;
        } else {
          out.push(w.syms[i]);
        }
      }
      w.syms = out;
    }
  }
  // A whole word that the merges never build: only ignore_merges finds it.
  vocab['\u0120lighthouse'] = Object.keys(vocab).length;
  return {vocab, merges};
}

function makeTokenizerJson() {
  const {vocab, merges} = train(300);
  const n = Object.keys(vocab).length;
  const added = (id, content, special, extra) => Object.assign(
      {id, content, single_word: false, lstrip: false, rstrip: false,
       normalized: false, special},
      extra || {});
  return {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: [
      added(n, '<|begin_of_text|>', true),
      added(n + 1, '<|end_of_text|>', true),
      added(n + 2, '<|eot_id|>', true),
      added(n + 3, '<mask>', false, {lstrip: true, rstrip: true}),
    ],
    normalizer: null,
    pre_tokenizer: {
      type: 'Sequence',
      pretokenizers: [
        {type: 'Split', pattern: {Regex: kLlama3Pattern}, behavior: 'Isolated',
         invert: false},
        {type: 'ByteLevel', add_prefix_space: false, trim_offsets: true,
         use_regex: false},
      ],
    },
    post_processor: {
      type: 'Sequence',
      processors: [
        {type: 'ByteLevel', add_prefix_space: true, trim_offsets: false,
         use_regex: true},
        {type: 'TemplateProcessing',
         single: [{SpecialToken: {id: '<|begin_of_text|>', type_id: 0}},
                  {Sequence: {id: 'A', type_id: 0}}],
         pair: [{SpecialToken: {id: '<|begin_of_text|>', type_id: 0}},
                {Sequence: {id: 'A', type_id: 0}},
                {SpecialToken: {id: '<|begin_of_text|>', type_id: 1}},
                {Sequence: {id: 'B', type_id: 1}}],
         special_tokens: {'<|begin_of_text|>': {
           id: '<|begin_of_text|>', ids: [n], tokens: ['<|begin_of_text|>']}}},
      ],
    },
    decoder: {type: 'ByteLevel', add_prefix_space: true, trim_offsets: true,
              use_regex: true},
    model: {type: 'BPE', dropout: null, unk_token: null,
            continuing_subword_prefix: null, end_of_word_suffix: null,
            fuse_unk: false, byte_fallback: false, ignore_merges: true,
            vocab, merges},
  };
}

// The strings hf_tokenizer_test.cc checks (keep in sync, same order).
const kCases = [
  'Hello world! This is a test.',
  '  leading and trailing spaces  ',
  'multiple     spaces between\twords',
  'line one\nline two\n\n\nline five\r\n',
  'numbers: 1234567 and 3.14159, year 2024',
  "contractions: it's, they'll, I'M, we'VE, don't",
  'unicode: caf\u00e9 na\u00efve \u4e2d\u6587 \u{1F600} \u03a9mega',
  '<|begin_of_text|>special in the middle<|eot_id|> end',
  'a <mask> b and x<mask>y',
  'The lighthouse keeper',
  '   ',
  'tab\t\t\tend  \n  next',
  'symbols: #$%&*()[]{} -- ... !!!',
  '\u00a0nbsp and\u3000ideographic space',
  ' x  y   z    ',
];

// A C++ string literal for `s` (UTF-8 bytes, \x escapes closed by "" when a
// hex digit follows).
function cxxString(s) {
  let out = '"';
  let escaped = false;
  for (const b of Buffer.from(s, 'utf8')) {
    const c = String.fromCharCode(b);
    if (escaped && /[0-9a-fA-F]/.test(c)) out += '""';
    escaped = false;
    if (b === 0x22 || b === 0x5c) {
      out += '\\' + c;
    } else if (b === 0x0a) {
      out += '\\n';
    } else if (b === 0x09) {
      out += '\\t';
    } else if (b === 0x0d) {
      out += '\\r';
    } else if (b >= 0x20 && b < 0x7f) {
      out += c;
    } else {
      out += '\\x' + b.toString(16).padStart(2, '0');
      escaped = true;
    }
  }
  return out + '"';
}

function main() {
  const outDir = process.argv[2] || '.';
  const json = makeTokenizerJson();
  fs.writeFileSync(path.join(outDir, 'llama3_mini.json'),
                   JSON.stringify(json, null, 1) + '\n');
  const config = {clean_up_tokenization_spaces: false};
  const tok = new Tokenizer(json, config);
  const noIgnore = JSON.parse(JSON.stringify(json));
  noIgnore.model.ignore_merges = false;
  const tok2 = new Tokenizer(noIgnore, config);
  const lines = [];
  for (const text of kCases) {
    const ids = tok.encode(text).ids;
    const decoded = ids.length === 0 ? '' :
        tok.decode(ids, {skip_special_tokens: true,
                         clean_up_tokenization_spaces: false});
    lines.push(`    {${cxxString(text)},\n     {${ids.join(', ')}},\n` +
               `     ${cxxString(decoded)}},`);
  }
  console.log('// Generated by testdata/make_llama3_mini.js (tokenizers.js).');
  console.log('const Case kLlama3Cases[] = {\n' + lines.join('\n') + '\n};');
  const t = 'The lighthouse keeper';
  console.log(`// Without ignore_merges: ${JSON.stringify(t)} -> ` +
              `{${tok2.encode(t).ids.join(', ')}}`);
}

main();
