#!/usr/bin/env node
// Offline checks of one rendered overlay (kubectl kustomize output): every
// object validated against its schema (npm kubernetes-models and
// @kubernetes-models/keda), then the policy checks of k8s_policy.js,
// k8s_args.js and k8s_netpol.js. Prints one line per problem and exits 1
// if there is any.
//
//   node check_manifests.js --overlay dev|prod --help-dir DIR
//       [--external-secrets a,b] RENDERED.yaml | --broken BROKEN_DIR
// DIR holds <binary>.txt: each binary's --help/--helpfull output. With
// --broken, every copy in BROKEN_DIR (break_manifests.js) must be caught by
// the check its .expect file names.
'use strict';

const fs = require('fs');
const path = require('path');
const YAML = require('yaml');
const policy = require('./k8s_policy');
const args = require('./k8s_args');
const { checkNetworkPolicies } = require('./k8s_netpol');

function parseCommandLine(argv) {
  const o = { overlay: '', helpDir: '', external: [], file: '', broken: '' };
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--overlay') o.overlay = argv[++i];
    else if (argv[i] === '--help-dir') o.helpDir = argv[++i];
    else if (argv[i] === '--broken') o.broken = argv[++i];
    else if (argv[i] === '--external-secrets') o.external = argv[++i].split(',').filter(Boolean);
    else o.file = argv[i];
  }
  if (!['dev', 'prod'].includes(o.overlay) || !o.helpDir || !(o.file || o.broken)) {
    console.error('usage: check_manifests.js --overlay dev|prod --help-dir DIR [--external-secrets a,b] FILE|--broken DIR');
    process.exit(2);
  }
  return o;
}

// The model class of an object: kubernetes-models/<group>/<version>, or
// @kubernetes-models/keda for keda.sh.
function modelClass(apiVersion, kind) {
  const [group, version] = apiVersion.includes('/') ? apiVersion.split('/') : ['', apiVersion];
  const modulePath = group === 'keda.sh'
    ? `@kubernetes-models/keda/keda.sh/${version}`
    : `kubernetes-models/${group ? `${group}/` : ''}${version}`;
  let mod;
  try {
    mod = require(modulePath);
  } catch (e) {
    return null;
  }
  return mod[kind] || null;
}

// kustomize wraps a Secret's base64 data in lines; the API server's base64
// decoder skips the newlines, the schema's "byte" format does not.
function apiServerView(o) {
  if (o.kind !== 'Secret' || !o.data) return o;
  const data = {};
  for (const [k, v] of Object.entries(o.data)) data[k] = String(v).replace(/[\r\n]/g, '');
  return { ...o, data };
}

function checkSchemas(objs) {
  const out = [];
  for (const o of objs) {
    const Cls = modelClass(o.apiVersion || '', o.kind || '');
    if (!Cls) {
      out.push(`schema: ${o.apiVersion} ${o.kind} ${o.metadata && o.metadata.name}: no schema known`);
      continue;
    }
    try {
      new Cls(apiServerView(o)).validate();
    } catch (e) {
      out.push(`schema: ${o.kind}/${o.metadata.name}: ${String(e.message).split('\n').slice(0, 3).join(' ')}`);
    }
  }
  return out;
}

function loadHelp(dir) {
  const help = {};
  for (const f of fs.readdirSync(dir)) {
    if (f.endsWith('.txt')) help[f.slice(0, -4)] = args.flagsFromHelp(fs.readFileSync(path.join(dir, f), 'utf8'));
  }
  return help;
}

function loadObjects(file, problems) {
  const objs = [];
  for (const d of YAML.parseAllDocuments(fs.readFileSync(file, 'utf8'))) {
    if (d.errors.length) problems.push(`yaml: ${d.errors[0].message}`);
    const v = d.toJS();
    if (v) objs.push(v);
  }
  if (objs.length === 0) problems.push('yaml: no objects rendered');
  return objs;
}

function runChecks(file, o, help) {
  const problems = [];
  const objs = loadObjects(file, problems);
  return {
    objs,
    problems: [
      ...problems,
      ...checkSchemas(objs),
      ...policy.checkImages(objs),
      ...policy.checkResources(objs),
      ...policy.checkProbes(objs),
      ...policy.checkSecurity(objs),
      ...policy.checkSelectorsAndPdbs(objs),
      ...policy.checkServices(objs),
      ...policy.checkAutoscalers(objs, o.overlay),
      ...policy.checkPrometheus(objs),
      ...args.checkArgs(objs, help),
      ...args.checkGrace(objs),
      ...args.checkSecrets(objs, o.external),
      ...checkNetworkPolicies(objs, o.overlay),
    ],
  };
}

// --broken DIR: every DIR/NAME.yaml (from break_manifests.js) must fail,
// with a problem of the check named in DIR/NAME.expect.
function checkBroken(o, help) {
  const files = fs.readdirSync(o.broken).filter((f) => f.endsWith('.yaml')).sort();
  let missed = 0;
  for (const f of files) {
    const want = fs.readFileSync(path.join(o.broken, f.replace(/\.yaml$/, '.expect')), 'utf8').trim();
    const { problems } = runChecks(path.join(o.broken, f), o, help);
    const hit = problems.find((p) => p.startsWith(`${want}: `));
    if (hit) {
      console.log(`caught ${f} (${want}): ${hit}`);
    } else {
      missed++;
      console.log(`MISSED ${f}: no ${want} problem among [${problems.join(' | ')}]`);
    }
  }
  console.log(`${o.overlay}: ${files.length - missed} of ${files.length} broken copies caught`);
  process.exit(missed || files.length === 0 ? 1 : 0);
}

function main() {
  const o = parseCommandLine(process.argv.slice(2));
  const help = loadHelp(o.helpDir);
  if (o.broken) return checkBroken(o, help);
  const { objs, problems } = runChecks(o.file, o, help);
  const kinds = {};
  for (const x of objs) kinds[x.kind] = (kinds[x.kind] || 0) + 1;
  if (problems.length) {
    for (const p of problems) console.log(`FAIL ${p}`);
    console.log(`${o.overlay}: ${problems.length} problem(s) in ${objs.length} objects`);
    process.exit(1);
  }
  console.log(`${o.overlay}: ${objs.length} objects OK (${Object.entries(kinds).map(([k, n]) => `${n} ${k}`).join(', ')})`);
  return 0;
}

main();
