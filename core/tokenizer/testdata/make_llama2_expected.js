// Prints the ids / decodings that Hugging Face's tokenizers.js (npm
// @huggingface/tokenizers) computes for the Llama-2-style tokenizer.json
// built from ../shared/data/stories260K/tok512.bin, as C++ for
// hf_llama2_test.cc. The tokenizer.json is built here independently of the
// C++ test's builder, following transformers' LlamaConverter /
// SentencePieceExtractor: pieces with "▁" for " ", merges = every split of a
// piece into two vocabulary pieces, ordered by (left id, right id) within a
// piece and then (stably) by the piece's score, highest first.
//
//   mkdir -p /tmp/tokcheck && cd /tmp/tokcheck && npm install @huggingface/tokenizers
//   NODE_PATH=/tmp/tokcheck/node_modules node make_llama2_expected.js [TOK512]
'use strict';
const fs = require('fs');
const path = require('path');
const {createRequire} = require('module');
const req = createRequire(path.join(process.env.NODE_PATH || '.', 'x.js'));
const {Tokenizer} = req('@huggingface/tokenizers');

function readLlama2c(file) {
  const d = fs.readFileSync(file);
  const pieces = [];
  let pos = 4;
  while (pos < d.length) {
    const score = d.readFloatLE(pos);
    const len = d.readInt32LE(pos + 4);
    pos += 8;
    let text = d.subarray(pos, pos + len).toString('utf8');
    pos += len;
    const id = pieces.length;
    if (id === 0) text = '<unk>';
    if (id === 1) text = '<s>';
    if (id === 2) text = '</s>';
    pieces.push({text: text.replaceAll(' ', '\u2581'), score});
  }
  return pieces;
}

function makeJson(pieces, legacy) {
  const vocab = {};
  pieces.forEach((p, i) => { vocab[p.text] = i; });
  let merges = [];
  for (const p of pieces) {
    const chars = Array.from(p.text);
    const local = [];
    for (let k = 1; k < chars.length; ++k) {
      const l = chars.slice(0, k).join(''), r = chars.slice(k).join('');
      if (l in vocab && r in vocab) local.push([l, r, p.score]);
    }
    local.sort((a, b) => vocab[a[0]] - vocab[b[0]] || vocab[a[1]] - vocab[b[1]]);
    merges.push(...local);
  }
  merges = merges.map((m, i) => [m, i])
               .sort((a, b) => b[0][2] - a[0][2] || a[1] - b[1])
               .map(([m]) => [m[0], m[1]]);
  const special = (id, content) => ({id, content, single_word: false,
    lstrip: false, rstrip: false, normalized: false, special: true});
  return {
    version: '1.0', truncation: null, padding: null,
    added_tokens: [special(0, '<unk>'), special(1, '<s>'), special(2, '</s>')],
    normalizer: legacy ? {type: 'Sequence', normalizers: [
      {type: 'Prepend', prepend: '\u2581'},
      {type: 'Replace', pattern: {String: ' '}, content: '\u2581'}]} : null,
    pre_tokenizer: legacy ? null : {type: 'Metaspace', replacement: '\u2581',
                                    prepend_scheme: 'first', split: false},
    post_processor: {type: 'TemplateProcessing',
      single: [{SpecialToken: {id: '<s>', type_id: 0}},
               {Sequence: {id: 'A', type_id: 0}}],
      pair: [{SpecialToken: {id: '<s>', type_id: 0}},
             {Sequence: {id: 'A', type_id: 0}},
             {SpecialToken: {id: '<s>', type_id: 1}},
             {Sequence: {id: 'B', type_id: 1}}],
      special_tokens: {'<s>': {id: '<s>', ids: [1], tokens: ['<s>']}}},
    decoder: {type: 'Sequence', decoders: [
      {type: 'Replace', pattern: {String: '\u2581'}, content: ' '},
      {type: 'ByteFallback'}, {type: 'Fuse'},
      {type: 'Strip', content: ' ', start: 1, stop: 0}]},
    model: {type: 'BPE', dropout: null, unk_token: '<unk>',
      continuing_subword_prefix: null, end_of_word_suffix: null,
      fuse_unk: true, byte_fallback: true, ignore_merges: false, vocab,
      merges},
  };
}

// Keep in sync with hf_llama2_test.cc.
const kCases = [
  'Once upon a time, there was a little girl named Lily. She loved to play ' +
      'outside in the park.',
  'Hello <s> world</s>!',
  '<s>start and </s>',
  '  two leading spaces',
  'tab\tand\nnewline',
  '\u00e9 \u4e2d\u6587 \u{1F600}',
  '\u2581literal meta',
  'an <unk> here',
];

function cxxString(s) {
  let out = '"';
  let escaped = false;
  for (const b of Buffer.from(s, 'utf8')) {
    const c = String.fromCharCode(b);
    if (escaped && /[0-9a-fA-F]/.test(c)) out += '""';
    escaped = false;
    if (b === 0x22 || b === 0x5c) out += '\\' + c;
    else if (b === 0x0a) out += '\\n';
    else if (b === 0x09) out += '\\t';
    else if (b >= 0x20 && b < 0x7f) out += c;
    else {
      out += '\\x' + b.toString(16).padStart(2, '0');
      escaped = true;
    }
  }
  return out + '"';
}

function main() {
  const file = process.argv[2] ||
      path.join(__dirname, '../../../../shared/data/stories260K/tok512.bin');
  const pieces = readLlama2c(file);
  for (const legacy of [true, false]) {
    const tok = new Tokenizer(makeJson(pieces, legacy),
                              {clean_up_tokenization_spaces: false});
    const lines = kCases.map((text) => {
      const ids = tok.encode(text).ids;
      const dec = tok.decode(ids, {skip_special_tokens: true,
                                   clean_up_tokenization_spaces: false});
      return `    {${cxxString(text)},\n     {${ids.join(', ')}},\n` +
             `     ${cxxString(dec)}},`;
    });
    console.log(`// ${legacy ? 'Legacy (Prepend + Replace normalizer)' :
                               'Metaspace(prepend_scheme first, split false)'}`);
    console.log(`const Case k${legacy ? 'Legacy' : 'Metaspace'}Cases[] = {\n` +
                lines.join('\n') + '\n};');
  }
}

main();
