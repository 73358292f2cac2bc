#!/usr/bin/env bash
# Prints the path of jemalloc's shared library (Debian's libjemalloc2), or exits 1 when it is absent.
for dir in /usr/lib/x86_64-linux-gnu /usr/lib/aarch64-linux-gnu /usr/lib64 /usr/lib /usr/local/lib; do
  if [[ -f $dir/libjemalloc.so.2 ]]; then
    echo "$dir/libjemalloc.so.2"
    exit 0
  fi
done
exit 1
