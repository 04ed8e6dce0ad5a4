#!/bin/sh
# No-op stand-in (see BUILD.bazel).
exit 0
