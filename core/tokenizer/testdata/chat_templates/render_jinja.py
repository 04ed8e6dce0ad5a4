#!/usr/bin/env python3
"""Renders every *.jinja chat template in a directory with Python's jinja2,
the way Hugging Face transformers' apply_chat_template does, for
chat_template_test's byte-for-byte cross-check of the C++ interpreter.

Usage: render_jinja.py DIR > cases.json
Prints {"cases": [...]}: one case per template x message list x
add_generation_prompt, with the source, the inputs and either "output" or
"error" ("raised": the raise_exception message, when that was the cause).
Exits 3 when jinja2 is not installed.
"""
import json
import os
import sys

try:
    import jinja2
    from jinja2 import nodes
    from jinja2.ext import Extension
    from jinja2.sandbox import ImmutableSandboxedEnvironment
except ImportError:
    sys.stderr.write("render_jinja.py: python3 jinja2 is not installed\n")
    sys.exit(3)


class Raised(Exception):
    pass


def raise_exception(message):
    raise Raised(message)


class Generation(Extension):
    """transformers' AssistantTracker tag, as a plain call block."""

    tags = {"generation"}

    def parse(self, parser):
        lineno = next(parser.stream).lineno
        body = parser.parse_statements(["name:endgeneration"], drop_needle=True)
        return nodes.CallBlock(self.call_method("_passthrough"), [], [],
                               body).set_lineno(lineno)

    def _passthrough(self, caller):
        return caller()


MESSAGE_LISTS = [
    [{"role": "user", "content": "Hello!"}],
    [{"role": "system", "content": "You are terse."},
     {"role": "user", "content": "Hi"},
     {"role": "assistant", "content": "Hello."},
     {"role": "user", "content": "  Tell me a story.  \n"}],
    [{"role": "user", "content": "What's 2+2?"},
     {"role": "assistant", "content": " 4 "},
     {"role": "user", "content": "And 3+3?"},
     {"role": "assistant", "content": "6"},
     {"role": "user", "content": "Thanks"}],
    [{"role": "system",
      "content": "R\u00e9ponds: \u00abok\u00bb \u2014 \u65e5\u672c\u8a9e "
                 "\"quoted\" 'single' \\backslash\\ {{ not a tag }} {% x %}"},
     {"role": "user", "content": "\u00e7a va?\n\ttab\r\nCRLF \U0001F600"}],
    [{"role": "user", "content": "a"}, {"role": "user", "content": "b"}],
    [],
    [{"role": "user", "content": ""}],
    [{"role": "user", "content": "   "},
     {"role": "assistant", "content": "\n"}],
]

TOKENS = [("<s>", "</s>"), ("", "")]


def main():
    directory = sys.argv[1]
    env = ImmutableSandboxedEnvironment(
        trim_blocks=True, lstrip_blocks=True,
        extensions=[Generation, "jinja2.ext.loopcontrols"])
    env.globals["raise_exception"] = raise_exception
    cases = []
    for name in sorted(os.listdir(directory)):
        if not name.endswith(".jinja"):
            continue
        with open(os.path.join(directory, name), encoding="utf-8",
                  newline="") as f:
            source = f.read()
        template = env.from_string(source)
        for index, messages in enumerate(MESSAGE_LISTS):
            bos, eos = TOKENS[index % len(TOKENS)]
            for agp in (False, True):
                case = {"template": name, "source": source,
                        "messages": messages, "add_generation_prompt": agp,
                        "bos_token": bos, "eos_token": eos}
                try:
                    case["output"] = template.render(
                        messages=messages, add_generation_prompt=agp,
                        bos_token=bos, eos_token=eos)
                except Raised as e:
                    case["error"] = str(e)
                    case["raised"] = True
                except Exception as e:  # UndefinedError, TypeError, ...
                    case["error"] = "%s: %s" % (type(e).__name__, e)
                cases.append(case)
    json.dump({"jinja2_version": jinja2.__version__, "cases": cases},
              sys.stdout, ensure_ascii=True)


if __name__ == "__main__":
    main()
