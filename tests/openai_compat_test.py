#!/usr/bin/env python3
"""OpenAI-client compatibility check of a running SeedLM HTTP endpoint.

Drives the endpoint the way the `openai` Python package does (raw HTTP with
the standard library only: http.client, json) and checks every response
field by field against the OpenAI API's documented schema as that client
parses it (openai.types: Completion, CompletionChoice, Logprobs,
CompletionUsage, ChatCompletion, ChatCompletionChunk, Model, the error
object), the server-sent-event framing of streams ("data: {json}" events
separated by blank lines, ending with "data: [DONE]") and that streamed
pieces concatenate to the non-streamed result of the same greedy request.

Usage:
  openai_compat_test.py BASE_URL [--api-key KEY] [--require-chat]
  openai_compat_test.py --self-test

BASE_URL is e.g. http://127.0.0.1:8080 (the /v1 prefix is added). Without
a chat template on the server, /v1/chat/completions must answer 400 with an
error object saying so (--require-chat makes that a failure). --self-test
runs the schema checks on built-in samples, correct and broken, to show that
each check can fail. Exits 0 when everything matches, 1 on any mismatch
(each printed with its JSON path), 2 on usage errors.
"""

import copy
import http.client
import json
import sys
import urllib.parse

# ---- Schema checks. Each returns a list of "path: problem" strings.

FINISH_COMPLETION = {"stop", "length", "content_filter"}
FINISH_CHAT = {"stop", "length", "tool_calls", "content_filter",
               "function_call"}


def _is_int(v):
    return isinstance(v, int) and not isinstance(v, bool)


def _is_num(v):
    return isinstance(v, (int, float)) and not isinstance(v, bool)


class Checker:
    def __init__(self):
        self.errors = []

    def fail(self, path, msg):
        self.errors.append(f"{path}: {msg}")

    def obj(self, v, path):
        if not isinstance(v, dict):
            self.fail(path, f"expected an object, got {type(v).__name__}")
            return False
        return True

    def field(self, o, key, path, kind, optional=False, nullable=False,
              values=None):
        """Checks o[key] is of `kind` (str/int/num/bool/list/dict)."""
        p = f"{path}.{key}"
        if key not in o:
            if not optional:
                self.fail(p, "missing")
            return None
        v = o[key]
        if v is None:
            if not nullable:
                self.fail(p, "null")
            return None
        ok = {"str": lambda x: isinstance(x, str), "int": _is_int,
              "num": _is_num, "bool": lambda x: isinstance(x, bool),
              "list": lambda x: isinstance(x, list),
              "dict": lambda x: isinstance(x, dict)}[kind](v)
        if not ok:
            self.fail(p, f"expected {kind}, got {type(v).__name__} {v!r:.60}")
            return None
        if values is not None and v not in values:
            self.fail(p, f"{v!r} is not one of {sorted(values)}")
        return v

    def const(self, o, key, path, value):
        if o.get(key) != value:
            self.fail(f"{path}.{key}", f"expected {value!r}, got "
                      f"{o.get(key)!r}")

    def usage(self, u, path):
        if not self.obj(u, path):
            return
        p = self.field(u, "prompt_tokens", path, "int")
        c = self.field(u, "completion_tokens", path, "int")
        t = self.field(u, "total_tokens", path, "int")
        if None not in (p, c, t):
            if p < 0 or c < 0 or t != p + c:
                self.fail(path, f"inconsistent usage {u}")

    def legacy_logprobs(self, lp, path, echo):
        """openai.types.completion_choice.Logprobs."""
        if not self.obj(lp, path):
            return
        tokens = self.field(lp, "tokens", path, "list", optional=True)
        tlp = self.field(lp, "token_logprobs", path, "list", optional=True)
        top = self.field(lp, "top_logprobs", path, "list", optional=True)
        off = self.field(lp, "text_offset", path, "list", optional=True)
        lists = [x for x in (tokens, tlp, top, off) if x is not None]
        if lists and len({len(x) for x in lists}) != 1:
            self.fail(path, "tokens/token_logprobs/top_logprobs/text_offset "
                      "differ in length")
        for i, t in enumerate(tokens or []):
            if not isinstance(t, str):
                self.fail(f"{path}.tokens[{i}]", "expected str")
        for i, v in enumerate(tlp or []):
            # Only an echoed prompt's first token has no log-probability.
            if v is None and echo and i == 0:
                continue
            if not _is_num(v) or v > 0:
                self.fail(f"{path}.token_logprobs[{i}]",
                          f"expected a number <= 0, got {v!r}")
        for i, d in enumerate(top or []):
            if d is None and echo and i == 0:
                continue
            if not isinstance(d, dict):
                self.fail(f"{path}.top_logprobs[{i}]", "expected an object")
                continue
            for k, v in d.items():
                if not isinstance(k, str) or not _is_num(v) or v > 0:
                    self.fail(f"{path}.top_logprobs[{i}]",
                              f"bad entry {k!r}: {v!r}")
        prev = -1
        for i, v in enumerate(off or []):
            if not _is_int(v) or v < prev:
                self.fail(f"{path}.text_offset[{i}]",
                          f"expected a non-decreasing int, got {v!r}")
            else:
                prev = v

    def completion(self, c, path, stream=False, echo=False):
        """openai.types.Completion (also each streamed chunk)."""
        if not self.obj(c, path):
            return
        self.field(c, "id", path, "str")
        self.const(c, "object", path, "text_completion")
        self.field(c, "created", path, "int")
        self.field(c, "model", path, "str")
        self.field(c, "system_fingerprint", path, "str", optional=True,
                   nullable=True)
        choices = self.field(c, "choices", path, "list")
        usage = self.field(c, "usage", path, "dict", optional=stream,
                           nullable=stream)
        if usage is not None:
            self.usage(usage, f"{path}.usage")
        for i, ch in enumerate(choices or []):
            cp = f"{path}.choices[{i}]"
            if not self.obj(ch, cp):
                continue
            self.field(ch, "text", cp, "str")
            self.field(ch, "index", cp, "int")
            self.field(ch, "finish_reason", cp, "str", nullable=stream,
                       values=FINISH_COMPLETION)
            if "logprobs" not in ch:
                self.fail(f"{cp}.logprobs", "missing")
            elif ch["logprobs"] is not None:
                self.legacy_logprobs(ch["logprobs"], f"{cp}.logprobs", echo)

    def chat_logprobs(self, lp, path):
        if not self.obj(lp, path):
            return
        content = self.field(lp, "content", path, "list", nullable=True)
        self.field(lp, "refusal", path, "list", optional=True, nullable=True)

        def entry(e, ep):
            if not self.obj(e, ep):
                return
            self.field(e, "token", ep, "str")
            v = self.field(e, "logprob", ep, "num")
            if v is not None and v > 0:
                self.fail(f"{ep}.logprob", f"positive: {v}")
            b = self.field(e, "bytes", ep, "list", nullable=True)
            if b is not None:
                if any(not _is_int(x) or not 0 <= x < 256 for x in b):
                    self.fail(f"{ep}.bytes", "expected byte values")
                elif isinstance(e.get("token"), str) and \
                        bytes(b) != e["token"].encode("utf-8"):
                    self.fail(f"{ep}.bytes", "differ from the token's UTF-8")
        for i, e in enumerate(content or []):
            ep = f"{path}.content[{i}]"
            entry(e, ep)
            top = self.field(e, "top_logprobs", ep, "list") \
                if isinstance(e, dict) else None
            for j, t in enumerate(top or []):
                entry(t, f"{ep}.top_logprobs[{j}]")

    def chat_completion(self, c, path):
        """openai.types.chat.ChatCompletion."""
        if not self.obj(c, path):
            return
        self.field(c, "id", path, "str")
        self.const(c, "object", path, "chat.completion")
        self.field(c, "created", path, "int")
        self.field(c, "model", path, "str")
        usage = self.field(c, "usage", path, "dict", optional=True)
        if usage is not None:
            self.usage(usage, f"{path}.usage")
        for i, ch in enumerate(self.field(c, "choices", path, "list") or []):
            cp = f"{path}.choices[{i}]"
            if not self.obj(ch, cp):
                continue
            self.field(ch, "index", cp, "int")
            self.field(ch, "finish_reason", cp, "str", values=FINISH_CHAT)
            m = self.field(ch, "message", cp, "dict")
            if m is not None:
                self.const(m, "role", f"{cp}.message", "assistant")
                self.field(m, "content", f"{cp}.message", "str",
                           nullable=True)
                self.field(m, "refusal", f"{cp}.message", "str",
                           optional=True, nullable=True)
            lp = self.field(ch, "logprobs", cp, "dict", optional=True,
                            nullable=True)
            if lp is not None:
                self.chat_logprobs(lp, f"{cp}.logprobs")

    def chat_chunk(self, c, path):
        """openai.types.chat.ChatCompletionChunk."""
        if not self.obj(c, path):
            return
        self.field(c, "id", path, "str")
        self.const(c, "object", path, "chat.completion.chunk")
        self.field(c, "created", path, "int")
        self.field(c, "model", path, "str")
        usage = self.field(c, "usage", path, "dict", optional=True,
                           nullable=True)
        if usage is not None:
            self.usage(usage, f"{path}.usage")
        for i, ch in enumerate(self.field(c, "choices", path, "list") or []):
            cp = f"{path}.choices[{i}]"
            if not self.obj(ch, cp):
                continue
            self.field(ch, "index", cp, "int")
            self.field(ch, "finish_reason", cp, "str", nullable=True,
                       values=FINISH_CHAT)
            d = self.field(ch, "delta", cp, "dict")
            if d is not None:
                self.field(d, "role", f"{cp}.delta", "str", optional=True,
                           nullable=True,
                           values={"assistant", "system", "user", "tool",
                                   "developer"})
                self.field(d, "content", f"{cp}.delta", "str", optional=True,
                           nullable=True)
            lp = self.field(ch, "logprobs", cp, "dict", optional=True,
                            nullable=True)
            if lp is not None:
                self.chat_logprobs(lp, f"{cp}.logprobs")

    def model(self, m, path):
        """openai.types.Model."""
        if not self.obj(m, path):
            return
        self.field(m, "id", path, "str")
        self.const(m, "object", path, "model")
        self.field(m, "created", path, "int")
        self.field(m, "owned_by", path, "str")

    def model_list(self, l, path):
        if not self.obj(l, path):
            return
        self.const(l, "object", path, "list")
        data = self.field(l, "data", path, "list")
        if data is not None and not data:
            self.fail(f"{path}.data", "empty")
        for i, m in enumerate(data or []):
            self.model(m, f"{path}.data[{i}]")

    def error(self, e, path, code=None):
        """The error object the client turns into openai.APIStatusError."""
        if not self.obj(e, path):
            return
        inner = self.field(e, "error", path, "dict")
        if inner is None:
            return
        p = f"{path}.error"
        msg = self.field(inner, "message", p, "str")
        if msg is not None and not msg:
            self.fail(f"{p}.message", "empty")
        self.field(inner, "type", p, "str")
        self.field(inner, "param", p, "str", nullable=True)
        self.field(inner, "code", p, "str", nullable=True)
        if code is not None and inner.get("code") != code:
            self.fail(f"{p}.code", f"expected {code!r}, got "
                      f"{inner.get('code')!r}")


# ---- HTTP.

class Endpoint:
    def __init__(self, base_url, api_key):
        u = urllib.parse.urlsplit(base_url)
        if u.scheme not in ("http", "https") or not u.hostname:
            raise ValueError(f"bad base URL {base_url!r}")
        self.https = u.scheme == "https"
        self.host, self.port = u.hostname, u.port
        self.prefix = u.path.rstrip("/")
        self.api_key = api_key

    def request(self, method, path, body=None):
        """Returns (status, headers dict lower-cased, body bytes)."""
        cls = http.client.HTTPSConnection if self.https else \
            http.client.HTTPConnection
        conn = cls(self.host, self.port, timeout=120)
        headers = {"Accept": "application/json",
                   "User-Agent": "OpenAI/Python openai_compat_test"}
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        if self.api_key:
            headers["Authorization"] = f"Bearer {self.api_key}"
        conn.request(method, self.prefix + path, body=data, headers=headers)
        resp = conn.getresponse()
        out = resp.read()
        hdrs = {k.lower(): v for k, v in resp.getheaders()}
        conn.close()
        return resp.status, hdrs, out


def parse_sse(raw, check, path):
    """Decodes an event stream as the openai client's SSEDecoder does and
    checks the framing. Returns the JSON payloads before [DONE]."""
    text = raw.decode("utf-8")
    events = text.split("\n\n")
    if events and events[-1] == "":
        events.pop()
    else:
        check.fail(path, "the stream does not end with a blank line")
    payloads, done = [], False
    for i, ev in enumerate(events):
        if done:
            check.fail(f"{path}[{i}]", "event after [DONE]")
            break
        lines = ev.split("\n")
        data = [l[len("data: "):] for l in lines if l.startswith("data: ")]
        if len(data) != 1 or len(lines) != 1:
            check.fail(f"{path}[{i}]", f"expected one 'data: ' line, got "
                       f"{ev!r:.80}")
            continue
        if data[0] == "[DONE]":
            done = True
            continue
        try:
            payloads.append(json.loads(data[0]))
        except ValueError as e:
            check.fail(f"{path}[{i}]", f"not JSON: {e}")
    if not done:
        check.fail(path, "no 'data: [DONE]' at the end")
    return payloads


# ---- The live checks.

def check_models(ep, check):
    status, _, body = ep.request("GET", "/v1/models")
    if status != 200:
        check.fail("GET /v1/models", f"HTTP {status}")
        return None
    models = json.loads(body)
    check.model_list(models, "models")
    model_id = models["data"][0]["id"]
    status, _, body = ep.request(
        "GET", "/v1/models/" + urllib.parse.quote(model_id, safe=""))
    if status != 200:
        check.fail("GET /v1/models/{id}", f"HTTP {status}")
    else:
        check.model(json.loads(body), "model")
    status, _, body = ep.request("GET", "/v1/models/no-such-model-xyz")
    if status != 404:
        check.fail("GET /v1/models/no-such-model-xyz", f"HTTP {status}")
    check.error(json.loads(body), "model_404", code="model_not_found")
    return model_id


def check_completions(ep, check, model):
    req = {"model": model, "prompt": "Once upon a time", "max_tokens": 16,
           "temperature": 0, "logprobs": 2}
    status, _, body = ep.request("POST", "/v1/completions", req)
    if status != 200:
        check.fail("POST /v1/completions", f"HTTP {status}: {body[:200]!r}")
        return
    c = json.loads(body)
    check.completion(c, "completion")
    if not c.get("id", "").startswith("cmpl-"):
        check.fail("completion.id", "expected a 'cmpl-' prefix")
    text = c["choices"][0]["text"]
    lp = c["choices"][0]["logprobs"]
    if lp is None or "".join(lp.get("tokens", [])) != text:
        check.fail("completion.choices[0].logprobs.tokens",
                   "do not concatenate to the text")

    echo = dict(req, echo=True, max_tokens=4)
    status, _, body = ep.request("POST", "/v1/completions", echo)
    if status != 200:
        check.fail("POST /v1/completions echo", f"HTTP {status}")
    else:
        e = json.loads(body)
        check.completion(e, "echo", echo=True)
        if not e["choices"][0]["text"].startswith("Once upon a time"):
            check.fail("echo.choices[0].text", "does not start with the "
                       "prompt")

    stream = dict(req, stream=True, stream_options={"include_usage": True})
    status, headers, body = ep.request("POST", "/v1/completions", stream)
    if status != 200:
        check.fail("POST /v1/completions stream", f"HTTP {status}")
        return
    if not headers.get("content-type", "").startswith("text/event-stream"):
        check.fail("stream", f"content-type {headers.get('content-type')}")
    chunks = parse_sse(body, check, "stream")
    pieces, finishes, ids = [], [], set()
    for i, ch in enumerate(chunks):
        check.completion(ch, f"stream[{i}]", stream=True)
        ids.add(ch.get("id"))
        for choice in ch.get("choices", []):
            pieces.append(choice.get("text", ""))
            if choice.get("finish_reason") is not None:
                finishes.append(i)
    if len(ids) != 1:
        check.fail("stream", f"chunks carry {len(ids)} ids")
    if "".join(pieces) != text:
        check.fail("stream", f"streamed text {''.join(pieces)!r} differs "
                   f"from {text!r}")
    if len(finishes) != 1:
        check.fail("stream", f"{len(finishes)} chunks with a finish_reason")
    if not chunks or chunks[-1].get("usage") is None or chunks[-1]["choices"]:
        check.fail("stream", "no final usage chunk (include_usage)")


def check_chat(ep, check, model, require):
    req = {"model": model, "max_tokens": 16, "temperature": 0,
           "messages": [{"role": "system", "content": "You tell stories."},
                        {"role": "user", "content": "Tell me a story."}]}
    status, _, body = ep.request("POST", "/v1/chat/completions", req)
    if status == 400 and not require:
        err = json.loads(body)
        check.error(err, "chat_400")
        if "chat template" not in err.get("error", {}).get("message", ""):
            check.fail("chat_400", "400 without saying the model has no "
                       "chat template")
        print("chat: the model has no chat template (400 checked)")
        return
    if status != 200:
        check.fail("POST /v1/chat/completions", f"HTTP {status}")
        return
    c = json.loads(body)
    check.chat_completion(c, "chat")
    content = c["choices"][0]["message"]["content"]
    with_lp = dict(req, logprobs=True, top_logprobs=2)
    status, _, body = ep.request("POST", "/v1/chat/completions", with_lp)
    if status != 200:
        check.fail("chat logprobs", f"HTTP {status}")
    else:
        lc = json.loads(body)
        check.chat_completion(lc, "chat_logprobs")
        if lc["choices"][0].get("logprobs") is None:
            check.fail("chat_logprobs.choices[0].logprobs", "null")
    status, _, body = ep.request("POST", "/v1/chat/completions",
                                 dict(req, stream=True))
    if status != 200:
        check.fail("chat stream", f"HTTP {status}")
        return
    chunks = parse_sse(body, check, "chat_stream")
    pieces = []
    for i, ch in enumerate(chunks):
        check.chat_chunk(ch, f"chat_stream[{i}]")
        for choice in ch.get("choices", []):
            pieces.append(choice.get("delta", {}).get("content") or "")
    first = chunks[0]["choices"][0]["delta"] if chunks else {}
    if first.get("role") != "assistant":
        check.fail("chat_stream[0].choices[0].delta.role", "not 'assistant'")
    last = chunks[-1]["choices"][0] if chunks else {}
    if last.get("finish_reason") is None:
        check.fail("chat_stream[-1]", "no finish_reason")
    if "".join(pieces) != content:
        check.fail("chat_stream", "deltas differ from the message content")


def check_errors(ep, check, model):
    cases = [
        ({"model": model, "prompt": "x", "max_tokens": -1}, 400, None),
        ({"model": model, "prompt": 5}, 400, None),
        ({"model": model, "prompt": "x", "temperature": "hot"}, 400, None),
        ({"model": "no-such-model-xyz", "prompt": "x"}, 404,
         "model_not_found"),
    ]
    for i, (body, want, code) in enumerate(cases):
        status, _, out = ep.request("POST", "/v1/completions", body)
        if status != want:
            check.fail(f"error[{i}]", f"HTTP {status}, expected {want}")
        try:
            check.error(json.loads(out), f"error[{i}]", code=code)
        except ValueError:
            check.fail(f"error[{i}]", "body is not JSON")


def run_live(base_url, api_key, require_chat):
    ep = Endpoint(base_url, api_key)
    check = Checker()
    model = check_models(ep, check)
    if model is not None:
        check_completions(ep, check, model)
        check_chat(ep, check, model, require_chat)
        check_errors(ep, check, model)
    return check.errors


# ---- Self-test: every check accepts a correct sample and rejects a broken
# one.

SAMPLE_COMPLETION = {
    "id": "cmpl-1", "object": "text_completion", "created": 1,
    "model": "m", "choices": [{
        "text": " there", "index": 0, "finish_reason": "length",
        "logprobs": {"tokens": [" there"], "token_logprobs": [-0.5],
                     "top_logprobs": [{" there": -0.5}],
                     "text_offset": [0]}}],
    "usage": {"prompt_tokens": 2, "completion_tokens": 1,
              "total_tokens": 3}}
SAMPLE_CHAT = {
    "id": "chatcmpl-1", "object": "chat.completion", "created": 1,
    "model": "m", "choices": [{
        "index": 0, "finish_reason": "stop",
        "message": {"role": "assistant", "content": "Hi", "refusal": None},
        "logprobs": {"content": [{"token": "Hi", "logprob": -0.1,
                                  "bytes": [72, 105], "top_logprobs": []}],
                     "refusal": None}}],
    "usage": {"prompt_tokens": 2, "completion_tokens": 1,
              "total_tokens": 3}}
SAMPLE_CHUNK = {
    "id": "chatcmpl-1", "object": "chat.completion.chunk", "created": 1,
    "model": "m", "choices": [{"index": 0, "delta": {"content": "Hi"},
                               "logprobs": None, "finish_reason": None}]}
SAMPLE_MODELS = {"object": "list", "data": [
    {"id": "m", "object": "model", "created": 1, "owned_by": "seedlm"}]}
SAMPLE_ERROR = {"error": {"message": "bad", "type": "invalid_request_error",
                          "param": "max_tokens", "code": None}}


def _mutate(sample, path, value):
    s = copy.deepcopy(sample)
    o = s
    for k in path[:-1]:
        o = o[k]
    if value is KeyError:
        del o[path[-1]]
    else:
        o[path[-1]] = value
    return s


def self_test():
    problems = []

    def expect(name, fn, sample, ok):
        c = Checker()
        fn(c, sample)
        if bool(c.errors) == ok:
            problems.append(f"{name}: expected {'pass' if ok else 'fail'}, "
                            f"got {c.errors}")

    comp = lambda c, s: c.completion(s, "c")
    chat = lambda c, s: c.chat_completion(s, "c")
    chunk = lambda c, s: c.chat_chunk(s, "c")
    models = lambda c, s: c.model_list(s, "c")
    error = lambda c, s: c.error(s, "c")
    expect("completion", comp, SAMPLE_COMPLETION, True)
    expect("chat", chat, SAMPLE_CHAT, True)
    expect("chunk", chunk, SAMPLE_CHUNK, True)
    expect("models", models, SAMPLE_MODELS, True)
    expect("error", error, SAMPLE_ERROR, True)
    broken = [
        ("completion.object", comp, SAMPLE_COMPLETION, ["object"], "x"),
        ("completion.created", comp, SAMPLE_COMPLETION, ["created"], "1"),
        ("completion.usage", comp, SAMPLE_COMPLETION,
         ["usage", "total_tokens"], 4),
        ("completion.finish", comp, SAMPLE_COMPLETION,
         ["choices", 0, "finish_reason"], "eos"),
        ("completion.logprobs", comp, SAMPLE_COMPLETION,
         ["choices", 0, "logprobs", "token_logprobs"], [None]),
        ("completion.offsets", comp, SAMPLE_COMPLETION,
         ["choices", 0, "logprobs", "text_offset"], [0, 1]),
        ("completion.text", comp, SAMPLE_COMPLETION,
         ["choices", 0, "text"], KeyError),
        ("chat.role", chat, SAMPLE_CHAT,
         ["choices", 0, "message", "role"], "user"),
        ("chat.bytes", chat, SAMPLE_CHAT,
         ["choices", 0, "logprobs", "content", 0, "bytes"], [1]),
        ("chunk.object", chunk, SAMPLE_CHUNK, ["object"], "chat.completion"),
        ("chunk.delta", chunk, SAMPLE_CHUNK, ["choices", 0, "delta"], "Hi"),
        ("models.object", models, SAMPLE_MODELS, ["data", 0, "object"], "x"),
        ("error.message", error, SAMPLE_ERROR, ["error", "message"], 3),
        ("error.shape", error, SAMPLE_ERROR, ["error"], "bad"),
    ]
    for name, fn, sample, path, value in broken:
        expect(name, fn, _mutate(sample, path, value), False)
    good_sse = b'data: {"a": 1}\n\ndata: [DONE]\n\n'
    for name, raw in [("sse.ok", good_sse),
                      ("sse.no_done", b'data: {"a": 1}\n\n'),
                      ("sse.no_blank", b'data: {"a": 1}\n\ndata: [DONE]'),
                      ("sse.not_json", b'data: {a}\n\ndata: [DONE]\n\n'),
                      ("sse.two_lines", b'data: 1\ndata: 2\n\ndata: [DONE]'
                                        b'\n\n')]:
        c = Checker()
        parse_sse(raw, c, "sse")
        if bool(c.errors) != (name != "sse.ok"):
            problems.append(f"{name}: got {c.errors}")
    return problems


def main(argv):
    if argv[1:] == ["--self-test"]:
        problems = self_test()
    else:
        args = argv[1:]
        api_key, require_chat, base = "", False, None
        while args:
            a = args.pop(0)
            if a == "--api-key" and args:
                api_key = args.pop(0)
            elif a == "--require-chat":
                require_chat = True
            elif base is None and not a.startswith("--"):
                base = a
            else:
                base = None
                break
        if base is None:
            print(__doc__, file=sys.stderr)
            return 2
        problems = run_live(base, api_key, require_chat)
    for p in problems:
        print("MISMATCH", p)
    print("FAIL" if problems else "OK", f"({len(problems)} mismatches)")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
