// Writes the seed corpora of the tokenizer fuzzers (tokenizer_json_fuzz.cc,
// llama2c_tokenizer_fuzz.cc): small well-formed files of each shape the
// readers support, and hostile ones for each class of issue 12 (deep
// nesting, empty-match Replace, backtracking and lookahead patterns, growth,
// wrong JSON types, oversized ids and tokens, truncated and corrupt
// tokenizer.bin). Crashers found later are added next to them by hand.
//
//   node core/tokenizer/testdata/make_fuzz_seeds.js   (from the repo root)
'use strict';
const fs = require('fs');
const path = require('path');

const here = __dirname;
const jsonDir = path.join(here, 'fuzz_tokenizer_json');
const binDir = path.join(here, 'fuzz_llama2c_tokenizer');
fs.mkdirSync(jsonDir, {recursive: true});
fs.mkdirSync(binDir, {recursive: true});

function writeJson(name, j) {
  fs.writeFileSync(path.join(jsonDir, name + '.json'), JSON.stringify(j));
}

const kMeta = '\u2581';
function byteTokens(first) {
  const v = {};
  for (let b = 0; b < 256; ++b) {
    v['<0x' + b.toString(16).toUpperCase().padStart(2, '0') + '>'] = first + b;
  }
  return v;
}
function added(id, content, special, extra) {
  return Object.assign(
      {
        id,
        content,
        single_word: false,
        lstrip: false,
        rstrip: false,
        normalized: !special,
        special
      },
      extra || {});
}
function base(vocab, merges) {
  return {
    version: '1.0',
    added_tokens: [],
    normalizer: null,
    pre_tokenizer: null,
    post_processor: null,
    decoder: null,
    model: {type: 'BPE', vocab, merges: merges || []}
  };
}

// ---- Well-formed shapes.

fs.copyFileSync(path.join(here, 'llama3_mini.json'),
                path.join(jsonDir, 'llama3_mini.json'));

// Llama-2 (legacy): Prepend + Replace normalizer, byte fallback, the
// SentencePiece decoder, "<s> $A" template.
function llama2Vocab() {
  const v = Object.assign({'<unk>': 0, '<s>': 1, '</s>': 2}, byteTokens(3));
  const words = [kMeta, 'a', 'b', 'e', 'h', 'l', 'o', 't', 'w', 'r', 'd',
                 kMeta + 't', 'he', kMeta + 'the', 'll', 'llo', 'ello',
                 kMeta + 'h', kMeta + 'hello'];
  words.forEach((w, i) => v[w] = 259 + i);
  return v;
}
const llama2Merges = [
  kMeta + ' t', 'h e', kMeta + 't he', 'l l', 'll o', 'e llo', kMeta + ' h',
  kMeta + 'h ello'
];
function llama2(legacy) {
  const j = base(llama2Vocab(), llama2Merges);
  Object.assign(j.model, {unk_token: '<unk>', fuse_unk: true, byte_fallback: true});
  j.added_tokens = [added(0, '<unk>', true), added(1, '<s>', true),
                    added(2, '</s>', true)];
  if (legacy) {
    j.normalizer = {
      type: 'Sequence',
      normalizers: [
        {type: 'Prepend', prepend: kMeta},
        {type: 'Replace', pattern: {String: ' '}, content: kMeta}
      ]
    };
  } else {
    j.pre_tokenizer = {
      type: 'Metaspace', replacement: kMeta, prepend_scheme: 'first', split: false
    };
  }
  j.post_processor = {
    type: 'TemplateProcessing',
    single: [{SpecialToken: {id: '<s>', type_id: 0}}, {Sequence: {id: 'A', type_id: 0}}],
    pair: [],
    special_tokens: {'<s>': {id: '<s>', ids: [1], tokens: ['<s>']}}
  };
  j.decoder = {
    type: 'Sequence',
    decoders: [
      {type: 'Replace', pattern: {String: kMeta}, content: ' '},
      {type: 'ByteFallback'}, {type: 'Fuse'},
      {type: 'Strip', content: ' ', start: 1, stop: 0}
    ]
  };
  return j;
}
writeJson('llama2_legacy', llama2(true));
writeJson('llama2_metaspace', llama2(false));

// GPT-2 style byte level.
{
  const v = {};
  const chars = '!"#$%&\'()*+,-./0123456789:;<=>?@ABCDEFGHIJKLMNOPQRSTUVWXYZ' +
      'abcdefghijklmnopqrstuvwxyz\u0120\u010a';
  [...chars].forEach((c, i) => v[c] = i);
  v['\u0120t'] = 100; v['he'] = 101; v['\u0120the'] = 102; v['<|endoftext|>'] = 103;
  const j = base(v, ['\u0120 t', 'h e', '\u0120t he']);
  j.model.ignore_merges = true;
  j.added_tokens = [added(103, '<|endoftext|>', true)];
  j.pre_tokenizer = {type: 'ByteLevel', add_prefix_space: false, trim_offsets: true, use_regex: true};
  j.post_processor = {type: 'ByteLevel', add_prefix_space: true, trim_offsets: false, use_regex: true};
  j.decoder = {type: 'ByteLevel', add_prefix_space: true, trim_offsets: true, use_regex: true};
  writeJson('gpt2_bytelevel', j);
}

// Every Split behavior, NFKC, Strip, a Replace regex, subword prefix.
{
  const v = {a: 0, b: 1, '-': 2, ' ': 3, '1': 4, '##b': 5, ab: 6, '[UNK]': 7};
  const j = base(v, ['a ##b']);
  Object.assign(j.model, {continuing_subword_prefix: '##', end_of_word_suffix: null,
                          unk_token: '[UNK]'});
  j.normalizer = {
    type: 'Sequence',
    normalizers: [
      {type: 'NFKC'}, {type: 'Strip', strip_left: true, strip_right: true},
      {type: 'Replace', pattern: {Regex: ' {2,}'}, content: ' '}, {type: 'NFD'}
    ]
  };
  j.pre_tokenizer = {
    type: 'Sequence',
    pretokenizers: ['Removed', 'Isolated', 'MergedWithPrevious', 'MergedWithNext',
                    'Contiguous'].map((behavior, i) => ({
      type: 'Split',
      pattern: i % 2 ? {Regex: '\\d+|\\s+(?!\\S)|\\s+'} : {String: '-'},
      behavior,
      invert: i === 3
    }))
  };
  j.decoder = {
    type: 'Sequence',
    decoders: [{type: 'Metaspace', replacement: kMeta, prepend_scheme: 'always'},
               {type: 'Strip', content: 'a', start: 2, stop: 1}]
  };
  writeJson('splits_and_normalizers', j);
}

// Added tokens: lstrip / rstrip / single_word / normalized, special and not.
{
  const j = base({a: 0, b: 1, ' ': 2, '<mask>': 3, x: 4});
  j.normalizer = {type: 'NFKC'};
  j.added_tokens = [
    added(3, '<mask>', true, {lstrip: true, rstrip: true}),
    added(5, 'ab', false, {single_word: true}),
    added(6, '\ufb01', false),
    added(7, '  ', true, {lstrip: true})
  ];
  writeJson('added_tokens', j);
}

// ---- Hostile files.

function nested(member, list, depth, leaf) {
  const j = llama2(true);
  let s = JSON.stringify(leaf);
  for (let i = 0; i < depth; ++i) s = `{"type":"Sequence","${list}":[${s}]}`;
  return JSON.stringify(j).replace(
      `"${member}":` + JSON.stringify(j[member]), `"${member}":${s}`);
}
fs.writeFileSync(path.join(jsonDir, 'hostile_deep_normalizer.json'),
                 nested('normalizer', 'normalizers', 100, {type: 'NFC'}));
fs.writeFileSync(path.join(jsonDir, 'hostile_deep_decoder.json'),
                 nested('decoder', 'decoders', 17, {type: 'Fuse'}));
fs.writeFileSync(path.join(jsonDir, 'hostile_deep_post_processor.json'),
                 nested('post_processor', 'processors', 17, {type: 'ByteLevel'}));
fs.writeFileSync(path.join(jsonDir, 'hostile_deep_json.json'),
                 '['.repeat(5000) + ']'.repeat(5000));
{
  const j = llama2(true);
  j.normalizer = {
    type: 'Sequence',
    normalizers: Array(40).fill({type: 'Replace', pattern: {Regex: ''}, content: 'ab'})
  };
  writeJson('hostile_empty_match_replace', j);
  j.normalizer = {type: 'Replace', pattern: {Regex: 'x*'}, content: '-'};
  writeJson('empty_match_replace_once', j);
  j.normalizer = {type: 'Replace', pattern: {Regex: '(a+)+$'}, content: 'x'};
  j.pre_tokenizer = {type: 'Split', pattern: {Regex: 'a*\\s+(?!\\S)'},
                     behavior: 'Isolated', invert: false};
  writeJson('hostile_backtracking_and_lookahead', j);
  j.pre_tokenizer = {
    type: 'Sequence',
    pretokenizers: Array(40).fill({type: 'ByteLevel', add_prefix_space: false, use_regex: false})
  };
  writeJson('hostile_bytelevel_chain', j);
  j.pre_tokenizer = {type: 'Sequence', pretokenizers: Array(300).fill({type: 'ByteLevel'})};
  writeJson('hostile_many_components', j);
  j.pre_tokenizer = null;
  j.normalizer = {type: 'Replace', pattern: {Regex: '((((a{100}){100}){100}){100})'},
                  content: 'x'};
  writeJson('hostile_pattern_too_large', j);
  j.normalizer = null;
  j.decoder = {
    type: 'Sequence',
    decoders: Array(8).fill({type: 'Replace', pattern: {Regex: ''}, content: 'abc'})
  };
  writeJson('hostile_decoder_growth', j);
}
{
  const j = llama2(true);
  j.added_tokens.push(added(2147483646, '<big>', true));
  writeJson('hostile_big_added_id', j);
  const p = llama2(true);
  p.post_processor.special_tokens['<s>'].ids = [99999];
  writeJson('hostile_template_id_out_of_vocab', p);
  const k = llama2(false);
  k.model.unk_token = '[MISSING]';
  k.model.byte_fallback = false;
  k.model.vocab['<0x41>'] = 'sixty-five';
  writeJson('hostile_wrong_types', k);
  const m = llama2(false);
  m.model.unk_token = '[MISSING]';
  m.model.byte_fallback = false;
  m.added_tokens[1].content = 5;
  writeJson('hostile_wrong_types_2', m);
  m.added_tokens[1].content = '<s>';
  m.decoder.decoders[3].start = -1;
  writeJson('hostile_wrong_types_3', m);
  const u = llama2(false);
  u.model.unk_token = '[MISSING]';
  u.model.byte_fallback = false;
  writeJson('unk_token_missing', u);
}
fs.writeFileSync(path.join(jsonDir, 'not_json.json'), '{"model": {"vocab": {"a": 0}');
fs.writeFileSync(path.join(jsonDir, 'invalid_utf8.json'),
                 Buffer.from('{"model":{"vocab":{"\xff":0},"merges":[]}}', 'latin1'));

// ---- llama2.c tokenizer.bin.

function tokBin(maxLen, tokens) {  // tokens: [piece (string or Buffer), score]
  const parts = [];
  const head = Buffer.alloc(4);
  head.writeInt32LE(maxLen);
  parts.push(head);
  for (const [piece, score] of tokens) {
    const bytes = Buffer.isBuffer(piece) ? piece : Buffer.from(piece, 'utf8');
    const rec = Buffer.alloc(8);
    rec.writeFloatLE(score, 0);
    rec.writeInt32LE(bytes.length, 4);
    parts.push(rec, bytes);
  }
  return Buffer.concat(parts);
}
function llamaTokens(extra) {
  const t = [['<unk>', 0], ['\n<s>\n', 0], ['\n</s>\n', 0]];
  for (let b = 0; b < 256; ++b) {
    t.push(['<0x' + b.toString(16).toUpperCase().padStart(2, '0') + '>', 0]);
  }
  return t.concat(extra);
}
const writeBin = (name, buf) => fs.writeFileSync(path.join(binDir, name + '.bin'), buf);
const shaped = tokBin(16, llamaTokens([
  [' ', -1], ['e', -2], ['t', -3], ['h', -4], [' t', -5], ['he', -6], [' the', -7],
  ['\u00e9', -8], ['\u4e2d', -9], ['ll', -10], ['o', -11], [' w', -12]
]));
writeBin('llama_shaped', shaped);
writeBin('one_token', tokBin(1, [['a', 0]]));
writeBin('header_only', tokBin(0, []));
writeBin('truncated', shaped.subarray(0, shaped.length - 3));
{
  const neg = Buffer.from(tokBin(4, [['ab', 0]]));
  neg.writeInt32LE(-5, 8);
  writeBin('negative_length', neg);
  const big = Buffer.from(tokBin(4, [['ab', 0]]));
  big.writeInt32LE(0x7fffffff, 8);
  writeBin('huge_length', big);
}
writeBin('odd_scores', tokBin(-7, llamaTokens([
  [' ', NaN], ['a', Infinity], ['aa', -Infinity], ['aa', 5], ['', 1], ['<0x41>', 9],
  ['<0x41>a', 10], [Buffer.from([0xff, 0xfe]), 3]
])));
writeBin('token_too_long', tokBin(2000, [[' ', 0], ['x'.repeat(1025), 0]]));
